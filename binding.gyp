{
  "targets": [
    {
      "target_name": "kts_native",
      "sources": ["src/native/kts_native.c"],
      "defines": ["_GNU_SOURCE", "NAPI_VERSION=8"],
      "cflags": ["-Wall", "-Wextra", "-Wno-unused-parameter", "-O2"],
      "cflags_c": ["-std=gnu11"]
    }
  ]
}
