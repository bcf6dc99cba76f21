/*
 * kts_native: the few socket operations Node cannot do, for keepalived-ts.
 *
 *  - raw IPv4/IPv6 sockets for IP protocol 112 (VRRP) with TTL/hop limit 255,
 *    recvmsg ancillary data (destination, arrival interface, hop limit);
 *  - AF_NETLINK (NETLINK_ROUTE) datagram sockets; messages are encoded in TS;
 *  - gratuitous ARP over AF_PACKET and unsolicited Neighbour Advertisement over
 *    a raw ICMPv6 socket;
 *  - readiness through a libuv poll handle on Node's own loop;
 *  - signals Node cannot subscribe to (keepalived's SIGRTMIN+2 JSON dump):
 *    a process-wide handler writes the signal number to a socketpair;
 *  - the process's name (prctl PR_SET_NAME) and execv, so the daemon answers
 *    to `keepalived` as operators' scripts expect (pkill, killall, pidof);
 *  - AF_UNIX datagrams (systemd's NOTIFY_SOCKET, abstract `@` form too);
 *  - a TUN device owned by the process (route announcement: it dies with us).
 *
 * N-API only. Errors are thrown as Error objects carrying `code` (errno name,
 * e.g. "EPERM"), `errno` and `syscall`, like Node's own system errors.
 * Everything here is synchronous and non-blocking except the poll callbacks.
 */
#include <node_api.h>
#include <uv.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/if_tun.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <signal.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <syslog.h>
#include <unistd.h>

#define VRRP_PROTO 112
#define RECV_BUF 65536

/* ---------- error helpers ---------- */

static napi_value throw_errno(napi_env env, int err, const char *syscall) {
  const char *name = strerrorname_np(err);
  char code[32];
  if (name == NULL) {
    snprintf(code, sizeof code, "E%d", err);
    name = code;
  }
  char msg[256];
  snprintf(msg, sizeof msg, "%s %s (%s)", syscall, name, strerror(err));
  napi_value m, c, e, v;
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &m);
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &c);
  napi_create_error(env, c, m, &e);
  napi_create_int32(env, -err, &v);
  napi_set_named_property(env, e, "errno", v);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, e, "syscall", v);
  napi_throw(env, e);
  return NULL;
}

static napi_value throw_arg(napi_env env, const char *msg) {
  napi_throw_type_error(env, "ERR_INVALID_ARG", msg);
  return NULL;
}

/* ---------- argument helpers ---------- */

#define GET_ARGS(n)                                                         \
  size_t argc = (n);                                                        \
  napi_value argv[(n) > 0 ? (n) : 1];                                       \
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok)      \
    return NULL;

static int arg_int(napi_env env, napi_value v, int32_t *out) {
  return napi_get_value_int32(env, v, out) == napi_ok;
}

/* Reads a string argument into buf; 0 when not a string or too long. */
static int arg_str(napi_env env, napi_value v, char *buf, size_t len) {
  size_t got = 0;
  if (napi_get_value_string_utf8(env, v, buf, len, &got) != napi_ok) return 0;
  return got < len - 1;
}

static int is_nullish(napi_env env, napi_value v) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  return t == napi_null || t == napi_undefined;
}

static napi_value num(napi_env env, double d) {
  napi_value v;
  napi_create_double(env, d, &v);
  return v;
}

static napi_value undef(napi_env env) {
  napi_value v;
  napi_get_undefined(env, &v);
  return v;
}

/* Parses "family" (4|6) and an address text into sockaddr storage. */
static int parse_addr(int family, const char *text, int ifindex, struct sockaddr_storage *ss, socklen_t *len) {
  memset(ss, 0, sizeof *ss);
  if (family == 4) {
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    a->sin_family = AF_INET;
    if (inet_pton(AF_INET, text, &a->sin_addr) != 1) return 0;
    *len = sizeof *a;
    return 1;
  }
  if (family == 6) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
    a->sin6_family = AF_INET6;
    if (inet_pton(AF_INET6, text, &a->sin6_addr) != 1) return 0;
    if (IN6_IS_ADDR_LINKLOCAL(&a->sin6_addr) || IN6_IS_ADDR_MC_LINKLOCAL(&a->sin6_addr)) a->sin6_scope_id = ifindex;
    *len = sizeof *a;
    return 1;
  }
  return 0;
}

static int set_int(int fd, int level, int opt, int val) {
  return setsockopt(fd, level, opt, &val, sizeof val);
}

/* ---------- interface helpers ---------- */

/* ifNameToIndex(name): number; throws ENODEV. */
static napi_value js_if_name_to_index(napi_env env, napi_callback_info info) {
  GET_ARGS(1);
  char name[IF_NAMESIZE + 1];
  if (!arg_str(env, argv[0], name, sizeof name)) return throw_arg(env, "ifname must be a string shorter than IF_NAMESIZE");
  unsigned idx = if_nametoindex(name);
  if (idx == 0) return throw_errno(env, errno, "if_nametoindex");
  return num(env, idx);
}

static int hwaddr_of(const char *name, unsigned char mac[6]) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strncpy(ifr.ifr_name, name, IF_NAMESIZE - 1);
  int rc = ioctl(fd, SIOCGIFHWADDR, &ifr);
  int err = errno;
  close(fd);
  if (rc < 0) return -err;
  memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
  return 0;
}

/* ifHwAddr(name): Buffer(6). */
static napi_value js_if_hwaddr(napi_env env, napi_callback_info info) {
  GET_ARGS(1);
  char name[IF_NAMESIZE + 1];
  if (!arg_str(env, argv[0], name, sizeof name)) return throw_arg(env, "ifname must be a string shorter than IF_NAMESIZE");
  unsigned char mac[6];
  int rc = hwaddr_of(name, mac);
  if (rc < 0) return throw_errno(env, -rc, "ioctl(SIOCGIFHWADDR)");
  napi_value buf;
  napi_create_buffer_copy(env, 6, mac, NULL, &buf);
  return buf;
}

/* ---------- VRRP raw sockets ---------- */

/*
 * vrrpOpen(family, ifname, src|null, sendOnly): fd.
 * A raw socket for protocol 112 bound to the device. The kernel builds the IP
 * header (no IP_HDRINCL); TTL / hop limit 255 for unicast and multicast; no
 * multicast loopback; only groups joined on this socket are received
 * (IP_MULTICAST_ALL / IPV6_MULTICAST_ALL = 0). IPv6: IPV6_CHECKSUM stays off
 * (-1), the codec computes VRRPv3's checksum. `src` binds the source address
 * (unicast_src_ip, or the primary address so v4 adverts carry it).
 * A raw socket bound to an address only receives datagrams addressed to it
 * (not the multicast group), so keepalived-style use is one unbound receive
 * socket plus one bound send socket; `sendOnly` attaches a drop-all socket
 * filter so the send socket never queues anything.
 */
static napi_value js_vrrp_open(napi_env env, napi_callback_info info) {
  GET_ARGS(5);
  bool send_only = false;
  if (argc >= 4 && !is_nullish(env, argv[3]) && napi_get_value_bool(env, argv[3], &send_only) != napi_ok)
    return throw_arg(env, "sendOnly must be a boolean");
  /* Unicast TTL / hop limit (keepalived's unicast_ttl); multicast always uses 255. */
  int32_t uttl = 255;
  if (argc >= 5 && !is_nullish(env, argv[4]) && (!arg_int(env, argv[4], &uttl) || uttl < 1 || uttl > 255))
    return throw_arg(env, "ttl must be 1..255");
  int32_t family;
  char ifname[IF_NAMESIZE + 1], src[INET6_ADDRSTRLEN + 1];
  if (!arg_int(env, argv[0], &family) || (family != 4 && family != 6)) return throw_arg(env, "family must be 4 or 6");
  if (!arg_str(env, argv[1], ifname, sizeof ifname)) return throw_arg(env, "ifname must be a string");
  int has_src = !is_nullish(env, argv[2]);
  if (has_src && !arg_str(env, argv[2], src, sizeof src)) return throw_arg(env, "src must be an address string or null");
  unsigned ifindex = if_nametoindex(ifname);
  if (ifindex == 0) return throw_errno(env, errno, "if_nametoindex");

  int fd = socket(family == 4 ? AF_INET : AF_INET6, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, VRRP_PROTO);
  if (fd < 0) return throw_errno(env, errno, "socket");
  const char *what = NULL;
  if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, strlen(ifname) + 1) < 0) what = "setsockopt(SO_BINDTODEVICE)";
  if (!what && family == 4) {
    struct ip_mreqn mreq;
    memset(&mreq, 0, sizeof mreq);
    mreq.imr_ifindex = ifindex;
    if (set_int(fd, IPPROTO_IP, IP_MULTICAST_ALL, 0) < 0) what = "setsockopt(IP_MULTICAST_ALL)";
    else if (set_int(fd, IPPROTO_IP, IP_MULTICAST_TTL, 255) < 0) what = "setsockopt(IP_MULTICAST_TTL)";
    else if (set_int(fd, IPPROTO_IP, IP_TTL, uttl) < 0) what = "setsockopt(IP_TTL)";
    /* As keepalived: precedence "internetwork control" (0xc0), and no DF bit. */
    else if (set_int(fd, IPPROTO_IP, IP_TOS, 0xc0) < 0) what = "setsockopt(IP_TOS)";
    else if (set_int(fd, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DONT) < 0) what = "setsockopt(IP_MTU_DISCOVER)";
    else if (set_int(fd, IPPROTO_IP, IP_MULTICAST_LOOP, 0) < 0) what = "setsockopt(IP_MULTICAST_LOOP)";
    else if (set_int(fd, IPPROTO_IP, IP_PKTINFO, 1) < 0) what = "setsockopt(IP_PKTINFO)";
    else if (set_int(fd, IPPROTO_IP, IP_RECVTTL, 1) < 0) what = "setsockopt(IP_RECVTTL)";
    else if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mreq, sizeof mreq) < 0) what = "setsockopt(IP_MULTICAST_IF)";
  } else if (!what) {
    int ifi = (int)ifindex;
    /* IPV6_MULTICAST_ALL exists since Linux 4.20: tolerate its absence. */
    if (set_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_ALL, 0) < 0 && errno != ENOPROTOOPT) what = "setsockopt(IPV6_MULTICAST_ALL)";
    else if (set_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 255) < 0) what = "setsockopt(IPV6_MULTICAST_HOPS)";
    else if (set_int(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, uttl) < 0) what = "setsockopt(IPV6_UNICAST_HOPS)";
    else if (set_int(fd, IPPROTO_IPV6, IPV6_TCLASS, 0xc0) < 0) what = "setsockopt(IPV6_TCLASS)";
    else if (set_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0) < 0) what = "setsockopt(IPV6_MULTICAST_LOOP)";
    else if (set_int(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1) < 0) what = "setsockopt(IPV6_RECVPKTINFO)";
    else if (set_int(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1) < 0) what = "setsockopt(IPV6_RECVHOPLIMIT)";
    else if (set_int(fd, IPPROTO_IPV6, IPV6_CHECKSUM, -1) < 0) what = "setsockopt(IPV6_CHECKSUM)";
    else if (setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifi, sizeof ifi) < 0) what = "setsockopt(IPV6_MULTICAST_IF)";
  }
  if (!what && send_only) {
    struct sock_filter drop = BPF_STMT(BPF_RET | BPF_K, 0);
    struct sock_fprog prog = {1, &drop};
    if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) < 0) what = "setsockopt(SO_ATTACH_FILTER)";
  }
  if (!what && has_src) {
    struct sockaddr_storage ss;
    socklen_t len;
    if (!parse_addr(family, src, ifindex, &ss, &len)) {
      close(fd);
      return throw_arg(env, "src is not an address of that family");
    }
    if (bind(fd, (struct sockaddr *)&ss, len) < 0) what = "bind";
  }
  if (what) {
    int err = errno;
    close(fd);
    return throw_errno(env, err, what);
  }
  return num(env, fd);
}

/* mcastMembership(fd, family, group, ifindex, join: boolean). */
static napi_value js_mcast_membership(napi_env env, napi_callback_info info) {
  GET_ARGS(5);
  int32_t fd, family, ifindex;
  char group[INET6_ADDRSTRLEN + 1];
  bool join;
  if (!arg_int(env, argv[0], &fd) || !arg_int(env, argv[1], &family) || !arg_str(env, argv[2], group, sizeof group) ||
      !arg_int(env, argv[3], &ifindex) || napi_get_value_bool(env, argv[4], &join) != napi_ok)
    return throw_arg(env, "mcastMembership(fd, family, group, ifindex, join)");
  int rc;
  if (family == 4) {
    struct ip_mreqn m;
    memset(&m, 0, sizeof m);
    if (inet_pton(AF_INET, group, &m.imr_multiaddr) != 1) return throw_arg(env, "bad IPv4 group");
    m.imr_ifindex = ifindex;
    rc = setsockopt(fd, IPPROTO_IP, join ? IP_ADD_MEMBERSHIP : IP_DROP_MEMBERSHIP, &m, sizeof m);
  } else {
    struct ipv6_mreq m;
    memset(&m, 0, sizeof m);
    if (inet_pton(AF_INET6, group, &m.ipv6mr_multiaddr) != 1) return throw_arg(env, "bad IPv6 group");
    m.ipv6mr_interface = ifindex;
    rc = setsockopt(fd, IPPROTO_IPV6, join ? IPV6_ADD_MEMBERSHIP : IPV6_DROP_MEMBERSHIP, &m, sizeof m);
  }
  if (rc < 0) return throw_errno(env, errno, join ? "setsockopt(ADD_MEMBERSHIP)" : "setsockopt(DROP_MEMBERSHIP)");
  return undef(env);
}

/* sendTo(fd, family, dst, ifindex, data): bytes sent. */
static napi_value js_send_to(napi_env env, napi_callback_info info) {
  GET_ARGS(5);
  int32_t fd, family, ifindex;
  char dst[INET6_ADDRSTRLEN + 1];
  void *data;
  size_t len;
  if (!arg_int(env, argv[0], &fd) || !arg_int(env, argv[1], &family) || !arg_str(env, argv[2], dst, sizeof dst) ||
      !arg_int(env, argv[3], &ifindex) || napi_get_buffer_info(env, argv[4], &data, &len) != napi_ok)
    return throw_arg(env, "sendTo(fd, family, dst, ifindex, buffer)");
  struct sockaddr_storage ss;
  socklen_t slen;
  if (!parse_addr(family, dst, ifindex, &ss, &slen)) return throw_arg(env, "dst is not an address of that family");
  ssize_t n;
  do n = sendto(fd, data, len, 0, (struct sockaddr *)&ss, slen);
  while (n < 0 && errno == EINTR);
  if (n < 0) return throw_errno(env, errno, "sendto");
  return num(env, (double)n);
}

/* setRcvBuf(fd, bytes). */
static napi_value js_set_rcvbuf(napi_env env, napi_callback_info info) {
  GET_ARGS(2);
  int32_t fd, bytes;
  if (!arg_int(env, argv[0], &fd) || !arg_int(env, argv[1], &bytes)) return throw_arg(env, "setRcvBuf(fd, bytes)");
  if (set_int(fd, SOL_SOCKET, SO_RCVBUF, bytes) < 0) return throw_errno(env, errno, "setsockopt(SO_RCVBUF)");
  return undef(env);
}

/* close(fd). */
static napi_value js_close(napi_env env, napi_callback_info info) {
  GET_ARGS(1);
  int32_t fd;
  if (!arg_int(env, argv[0], &fd)) return throw_arg(env, "close(fd)");
  if (close(fd) < 0 && errno != EINTR) return throw_errno(env, errno, "close");
  return undef(env);
}

/* ---------- netlink ---------- */

/* netlinkOpen(groups): { fd, pid }. NETLINK_ROUTE, non-blocking, extended ACKs on. */
static napi_value js_netlink_open(napi_env env, napi_callback_info info) {
  GET_ARGS(1);
  uint32_t groups;
  if (napi_get_value_uint32(env, argv[0], &groups) != napi_ok) return throw_arg(env, "netlinkOpen(groups)");
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
  if (fd < 0) return throw_errno(env, errno, "socket(AF_NETLINK)");
  struct sockaddr_nl sa;
  memset(&sa, 0, sizeof sa);
  sa.nl_family = AF_NETLINK;
  sa.nl_groups = groups;
  set_int(fd, SOL_NETLINK, NETLINK_EXT_ACK, 1); /* best effort */
  set_int(fd, SOL_SOCKET, SO_RCVBUF, 1 << 20);
  socklen_t len = sizeof sa;
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, err, "bind(AF_NETLINK)");
  }
  napi_value o;
  napi_create_object(env, &o);
  napi_set_named_property(env, o, "fd", num(env, fd));
  napi_set_named_property(env, o, "pid", num(env, sa.nl_pid));
  return o;
}

/* netlinkSend(fd, buffer): bytes sent (to the kernel). */
static napi_value js_netlink_send(napi_env env, napi_callback_info info) {
  GET_ARGS(2);
  int32_t fd;
  void *data;
  size_t len;
  if (!arg_int(env, argv[0], &fd) || napi_get_buffer_info(env, argv[1], &data, &len) != napi_ok)
    return throw_arg(env, "netlinkSend(fd, buffer)");
  struct sockaddr_nl sa;
  memset(&sa, 0, sizeof sa);
  sa.nl_family = AF_NETLINK;
  ssize_t n;
  do n = sendto(fd, data, len, 0, (struct sockaddr *)&sa, sizeof sa);
  while (n < 0 && errno == EINTR);
  if (n < 0) return throw_errno(env, errno, "sendto(AF_NETLINK)");
  return num(env, (double)n);
}

/* recv(fd): Buffer | null. One datagram, non-blocking; null when none is queued. */
static napi_value js_recv(napi_env env, napi_callback_info info) {
  GET_ARGS(1);
  int32_t fd;
  if (!arg_int(env, argv[0], &fd)) return throw_arg(env, "recv(fd)");
  static unsigned char buf[RECV_BUF];
  ssize_t n;
  do n = recv(fd, buf, sizeof buf, MSG_DONTWAIT | MSG_TRUNC);
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      napi_value v;
      napi_get_null(env, &v);
      return v;
    }
    return throw_errno(env, errno, "recv");
  }
  if ((size_t)n > sizeof buf) return throw_errno(env, EMSGSIZE, "recv");
  napi_value out;
  napi_create_buffer_copy(env, n, buf, NULL, &out);
  return out;
}

/* ---------- readiness: uv_poll_t on Node's loop ---------- */

enum watch_kind { WATCH_RAW = 0, WATCH_TIMER = 1, WATCH_VRRP4 = 4, WATCH_VRRP6 = 6 };

typedef struct {
  uv_poll_t poll;
  napi_env env;
  napi_ref cb;
  napi_async_context actx;
  int fd;
  int kind;
  int closed;
  struct absorb_s *absorbs;
  unsigned char buf[RECV_BUF];
} watch_t;

static void on_closed(uv_handle_t *h) { free(h->data); }

static napi_value make_err_value(napi_env env, int err, const char *syscall) {
  throw_errno(env, err, syscall);
  napi_value e;
  napi_get_and_clear_last_exception(env, &e);
  return e;
}

static napi_value addr_text(napi_env env, int af, const void *a) {
  char t[INET6_ADDRSTRLEN];
  napi_value v;
  if (!inet_ntop(af, a, t, sizeof t)) t[0] = 0;
  napi_create_string_utf8(env, t, NAPI_AUTO_LENGTH, &v);
  return v;
}

static napi_value packet_object(napi_env env, napi_value data, napi_value src, napi_value dst, int ttl, int ifindex) {
  napi_value o;
  napi_create_object(env, &o);
  napi_set_named_property(env, o, "data", data);
  napi_set_named_property(env, o, "src", src);
  napi_set_named_property(env, o, "dst", dst);
  napi_set_named_property(env, o, "ttl", num(env, ttl));
  napi_set_named_property(env, o, "ifindex", num(env, ifindex));
  return o;
}

/*
 * The steady-state fast path (see absorb / repeat below): a receive watch
 * may hold "absorb" entries, each the exact bytes of an advert the VRRP
 * process already accepted. A packet identical to one (same source, TTL,
 * interface and payload) is counted and restarts that entry's silence timer
 * in C, without waking JavaScript.
 */
typedef struct absorb_s absorb_t;

static double mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* A parsed VRRP datagram (pointers into the watch's buffer). */
typedef struct {
  int af;
  unsigned char src[16];
  unsigned char dst[16];
  int has_dst;
  int ttl;
  int ifindex;
  const unsigned char *payload;
  size_t len;
} pkt_t;

static int absorb_match(watch_t *w, const pkt_t *p);

/*
 * Reads one datagram. Returns 1 with *out set, 0 on EAGAIN, 0 with *out set to
 * an Error on failure, -1 to skip (malformed, or absorbed by the fast path).
 */
/* A handle scope opened only when something goes to JavaScript (absorbed packets never need one). */
typedef struct {
  napi_env env;
  napi_handle_scope scope;
  int open;
} lazy_scope_t;

static int scope_ready(lazy_scope_t *s) {
  if (!s->open && napi_open_handle_scope(s->env, &s->scope) == napi_ok) s->open = 1;
  return s->open;
}

static int read_one(lazy_scope_t *ls, watch_t *w, napi_value *out) {
  napi_env env = ls->env;
  if (w->kind == WATCH_TIMER) {
    uint64_t expirations;
    ssize_t r;
    do r = read(w->fd, &expirations, sizeof expirations);
    while (r < 0 && errno == EINTR);
    if (r < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || !scope_ready(ls)) return 0;
      *out = make_err_value(env, errno, "read");
      return 0;
    }
    if (!scope_ready(ls)) return 0;
    *out = num(env, (double)expirations);
    return 1;
  }
  struct sockaddr_storage from;
  union {
    char buf[256];
    struct cmsghdr align;
  } ctl;
  struct iovec iov = {w->buf, RECV_BUF};
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_name = &from;
  msg.msg_namelen = sizeof from;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = ctl.buf;
  msg.msg_controllen = sizeof ctl.buf;
  ssize_t n;
  do n = recvmsg(w->fd, &msg, MSG_DONTWAIT);
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || !scope_ready(ls)) return 0;
    *out = make_err_value(env, errno, "recvmsg");
    return 0;
  }
  if (msg.msg_flags & MSG_TRUNC) return -1;
  if (w->kind == WATCH_RAW) {
    if (!scope_ready(ls)) return 0;
    napi_create_buffer_copy(env, n, w->buf, NULL, out);
    return 1;
  }
  pkt_t p;
  memset(&p, 0, sizeof p);
  p.ttl = -1;
  if (w->kind == WATCH_VRRP4) {
    /* A raw IPv4 socket delivers the IP header: strip it, take TTL and dst from it. */
    if (n < 20) return -1;
    size_t ihl = (size_t)(w->buf[0] & 0x0f) * 4;
    if ((w->buf[0] >> 4) != 4 || ihl < 20 || ihl > (size_t)n) return -1;
    p.af = AF_INET;
    p.ttl = w->buf[8];
    memcpy(p.src, w->buf + 12, 4);
    memcpy(p.dst, w->buf + 16, 4);
    p.has_dst = 1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
      if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
        struct in_pktinfo pi;
        memcpy(&pi, CMSG_DATA(c), sizeof pi);
        p.ifindex = pi.ipi_ifindex;
      }
    p.payload = w->buf + ihl;
    p.len = (size_t)n - ihl;
  } else {
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&from;
    p.af = AF_INET6;
    memcpy(p.src, &s6->sin6_addr, 16);
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != IPPROTO_IPV6) continue;
      if (c->cmsg_type == IPV6_PKTINFO) {
        struct in6_pktinfo pi;
        memcpy(&pi, CMSG_DATA(c), sizeof pi);
        p.ifindex = pi.ipi6_ifindex;
        memcpy(p.dst, &pi.ipi6_addr, 16);
        p.has_dst = 1;
      } else if (c->cmsg_type == IPV6_HOPLIMIT) {
        memcpy(&p.ttl, CMSG_DATA(c), sizeof p.ttl);
      }
    }
    p.payload = w->buf;
    p.len = (size_t)n;
  }
  if (absorb_match(w, &p)) return -1;
  if (!scope_ready(ls)) return 0;
  napi_value data, src, dst;
  src = addr_text(env, p.af, p.src);
  if (p.has_dst) dst = addr_text(env, p.af, p.dst);
  else napi_create_string_utf8(env, "", 0, &dst);
  napi_create_buffer_copy(env, p.len, p.payload, NULL, &data);
  *out = packet_object(env, data, src, dst, p.ttl, p.ifindex);
  return 1;
}

static void call_js(napi_env env, watch_t *w, napi_value err, napi_value val) {
  napi_value cb, recv, argv[2];
  napi_get_reference_value(env, w->cb, &cb);
  /* napi_make_callback converts `recv` to an object: undefined would throw. */
  napi_get_global(env, &recv);
  napi_get_null(env, &argv[0]);
  napi_get_undefined(env, &argv[1]);
  if (err) argv[0] = err;
  if (val) argv[1] = val;
  if (napi_make_callback(env, w->actx, recv, cb, 2, argv, NULL) == napi_pending_exception) {
    napi_value e;
    napi_get_and_clear_last_exception(env, &e);
    napi_fatal_exception(env, e);
  }
}

static void on_poll(uv_poll_t *h, int status, int events) {
  watch_t *w = h->data;
  napi_env env = w->env;
  lazy_scope_t ls = {env, NULL, 0};
  if (status < 0) {
    if (scope_ready(&ls)) call_js(env, w, make_err_value(env, -status, "uv_poll"), NULL);
  } else {
    /* Drain what is queued, bounded so one busy socket cannot starve the loop. */
    for (int i = 0; i < 256 && !w->closed; i++) {
      napi_value out = NULL;
      int r = read_one(&ls, w, &out);
      if (r < 0) continue;
      if (r == 0) {
        if (out) call_js(env, w, out, NULL);
        break;
      }
      call_js(env, w, NULL, out);
    }
  }
  if (ls.open) napi_close_handle_scope(env, ls.scope);
}

static void absorb_detach_all(watch_t *w);

static void watch_stop(napi_env env, watch_t *w) {
  if (w->closed) return;
  w->closed = 1;
  absorb_detach_all(w);
  uv_poll_stop(&w->poll);
  napi_delete_reference(env, w->cb);
  napi_async_destroy(env, w->actx);
  uv_close((uv_handle_t *)&w->poll, on_closed);
}

/* A poll handle on Node's loop for `fd`, calling `on` when readable; returns the handle as an external. */
static napi_value watch_create(napi_env env, int fd, int kind, napi_value cb, const char *name, uv_poll_cb on) {
  uv_loop_t *loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return throw_arg(env, "no event loop");
  watch_t *w = calloc(1, sizeof *w);
  if (!w) return throw_errno(env, ENOMEM, "calloc");
  w->env = env;
  w->fd = fd;
  w->kind = kind;
  int rc = uv_poll_init(loop, &w->poll, fd);
  if (rc < 0) {
    free(w);
    return throw_errno(env, -rc, "uv_poll_init");
  }
  w->poll.data = w;
  napi_value n;
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &n);
  napi_async_init(env, NULL, n, &w->actx);
  napi_create_reference(env, cb, 1, &w->cb);
  rc = uv_poll_start(&w->poll, UV_READABLE, on);
  if (rc < 0) {
    watch_stop(env, w);
    return throw_errno(env, -rc, "uv_poll_start");
  }
  napi_value ext;
  napi_create_external(env, w, NULL, NULL, &ext);
  return ext;
}

/*
 * watch(fd, kind, cb): handle. kind 0 = raw datagrams (netlink) → cb(err, Buffer);
 * 4/6 = VRRP → cb(err, {data, src, dst, ttl, ifindex}). Call unwatch(handle)
 * before closing the fd.
 */
static napi_value js_watch(napi_env env, napi_callback_info info) {
  GET_ARGS(3);
  int32_t fd, kind;
  napi_valuetype t;
  if (!arg_int(env, argv[0], &fd) || !arg_int(env, argv[1], &kind) || napi_typeof(env, argv[2], &t) != napi_ok ||
      t != napi_function || (kind != WATCH_RAW && kind != WATCH_TIMER && kind != WATCH_VRRP4 && kind != WATCH_VRRP6))
    return throw_arg(env, "watch(fd, kind 0|1|4|6, callback)");
  return watch_create(env, fd, kind, argv[2], "kts_native.watch", on_poll);
}

static watch_t *watch_arg(napi_env env, napi_value v) {
  void *p = NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok) return NULL;
  return p;
}

/* unwatch(handle): idempotent. The handle must not be used afterwards. */
static napi_value js_unwatch(napi_env env, napi_callback_info info) {
  GET_ARGS(1);
  watch_t *w = watch_arg(env, argv[0]);
  if (!w) return throw_arg(env, "unwatch(handle)");
  watch_stop(env, w);
  return undef(env);
}

/* watchRef(handle, ref): whether the poll keeps the process alive. */
static napi_value js_watch_ref(napi_env env, napi_callback_info info) {
  GET_ARGS(2);
  watch_t *w = watch_arg(env, argv[0]);
  bool ref;
  if (!w || napi_get_value_bool(env, argv[1], &ref) != napi_ok) return throw_arg(env, "watchRef(handle, bool)");
  if (!w->closed) {
    if (ref) uv_ref((uv_handle_t *)&w->poll);
    else uv_unref((uv_handle_t *)&w->poll);
  }
  return undef(env);
}

/* ---------- announcements ---------- */

/* Resolves the source MAC: given (6 bytes) or the interface's own. */
static int mac_arg(napi_env env, napi_value v, const char *ifname, unsigned char mac[6]) {
  if (!is_nullish(env, v)) {
    void *d;
    size_t len;
    if (napi_get_buffer_info(env, v, &d, &len) != napi_ok || len != 6) return -EINVAL;
    memcpy(mac, d, 6);
    return 0;
  }
  return hwaddr_of(ifname, mac);
}

/*
 * The process's one AF_PACKET socket for gratuitous ARPs, opened on first use
 * and never closed (keepalived keeps one too). Closing a packet socket waits
 * for an RCU grace period (packet_release() -> synchronize_net(), ~12 ms on a
 * 2-core machine, CPU idle), and a socket per ARP blocked the event loop that
 * long for every ARP: 5 per takeover, 500 for 100 instances. Protocol 0
 * registers no receive hook, so the socket never queues frames; sendto()
 * names ETH_P_ARP in its sockaddr_ll. It belongs to the network namespace the
 * process runs in. Returns the fd, or -1 with errno set.
 */
static int garp_fd = -1;

static int garp_socket(void) {
  int fd = __atomic_load_n(&garp_fd, __ATOMIC_ACQUIRE);
  if (fd >= 0) return fd;
  fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int expected = -1;
  if (!__atomic_compare_exchange_n(&garp_fd, &expected, fd, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
    close(fd); /* another thread won the race */
    return expected;
  }
  return fd;
}

/*
 * sendGarp(ifname, ipv4, mac|null): one gratuitous ARP request over AF_PACKET,
 * broadcast, sender = target = the address, sender MAC = mac or the interface's
 * (as keepalived does: op REQUEST, target MAC ff:ff:ff:ff:ff:ff).
 */
static napi_value js_send_garp(napi_env env, napi_callback_info info) {
  GET_ARGS(3);
  char ifname[IF_NAMESIZE + 1], addr[INET_ADDRSTRLEN + 1];
  struct in_addr ip;
  if (!arg_str(env, argv[0], ifname, sizeof ifname) || !arg_str(env, argv[1], addr, sizeof addr) ||
      inet_pton(AF_INET, addr, &ip) != 1)
    return throw_arg(env, "sendGarp(ifname, ipv4, mac|null)");
  unsigned char mac[6];
  int rc = mac_arg(env, argv[2], ifname, mac);
  if (rc == -EINVAL) return throw_arg(env, "mac must be a 6-byte Buffer");
  if (rc < 0) return throw_errno(env, -rc, "ioctl(SIOCGIFHWADDR)");
  unsigned ifindex = if_nametoindex(ifname);
  if (ifindex == 0) return throw_errno(env, errno, "if_nametoindex");

  unsigned char f[60];
  memset(f, 0, sizeof f);
  memset(f, 0xff, 6);                          /* Ethernet destination: broadcast */
  memcpy(f + 6, mac, 6);                       /* Ethernet source */
  f[12] = 0x08, f[13] = 0x06;                  /* ETH_P_ARP */
  unsigned char *a = f + 14;
  a[0] = 0, a[1] = 1;                          /* htype Ethernet */
  a[2] = 0x08, a[3] = 0x00;                    /* ptype IPv4 */
  a[4] = 6, a[5] = 4;                          /* hlen, plen */
  a[6] = 0, a[7] = 1;                          /* op REQUEST */
  memcpy(a + 8, mac, 6);                       /* sender MAC */
  memcpy(a + 14, &ip, 4);                      /* sender IP = VIP */
  memset(a + 18, 0xff, 6);                     /* target MAC */
  memcpy(a + 24, &ip, 4);                      /* target IP = VIP */

  int fd = garp_socket();
  if (fd < 0) return throw_errno(env, errno, "socket(AF_PACKET)");
  struct sockaddr_ll ll;
  memset(&ll, 0, sizeof ll);
  ll.sll_family = AF_PACKET;
  ll.sll_protocol = htons(ETH_P_ARP);
  ll.sll_ifindex = ifindex;
  ll.sll_halen = 6;
  memset(ll.sll_addr, 0xff, 6);
  ssize_t n = sendto(fd, f, sizeof f, 0, (struct sockaddr *)&ll, sizeof ll);
  if (n < 0) return throw_errno(env, errno, "sendto(AF_PACKET)");
  return undef(env);
}

/*
 * sendUnsolicitedNa(ifname, ipv6, mac|null): one unsolicited Neighbour
 * Advertisement to ff02::1 (RFC 4861 §7.2.6): override flag, target = the
 * address, target link-layer address option = mac or the interface's, hop
 * limit 255. Raw ICMPv6 socket: the kernel computes the checksum. The IPv6
 * source is the advertised address when the kernel accepts it (it must be
 * assigned to the interface), else the kernel's choice (link-local).
 */
static napi_value js_send_na(napi_env env, napi_callback_info info) {
  GET_ARGS(3);
  char ifname[IF_NAMESIZE + 1], addr[INET6_ADDRSTRLEN + 1];
  struct in6_addr target;
  if (!arg_str(env, argv[0], ifname, sizeof ifname) || !arg_str(env, argv[1], addr, sizeof addr) ||
      inet_pton(AF_INET6, addr, &target) != 1)
    return throw_arg(env, "sendUnsolicitedNa(ifname, ipv6, mac|null)");
  unsigned char mac[6];
  int rc = mac_arg(env, argv[2], ifname, mac);
  if (rc == -EINVAL) return throw_arg(env, "mac must be a 6-byte Buffer");
  if (rc < 0) return throw_errno(env, -rc, "ioctl(SIOCGIFHWADDR)");
  unsigned ifindex = if_nametoindex(ifname);
  if (ifindex == 0) return throw_errno(env, errno, "if_nametoindex");

  unsigned char p[32];
  memset(p, 0, sizeof p);
  p[0] = ND_NEIGHBOR_ADVERT; /* 136 */
  p[4] = 0x20;               /* flags: Override */
  memcpy(p + 8, &target, 16);
  p[24] = ND_OPT_TARGET_LINKADDR; /* 2 */
  p[25] = 1;                      /* length in 8-octet units */
  memcpy(p + 26, mac, 6);

  int fd = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6);
  if (fd < 0) return throw_errno(env, errno, "socket(IPPROTO_ICMPV6)");
  int ifi = (int)ifindex;
  const char *what = NULL;
  if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, strlen(ifname) + 1) < 0) what = "setsockopt(SO_BINDTODEVICE)";
  else if (set_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 255) < 0) what = "setsockopt(IPV6_MULTICAST_HOPS)";
  else if (setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifi, sizeof ifi) < 0) what = "setsockopt(IPV6_MULTICAST_IF)";
  else set_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0);
  if (what) {
    int err = errno;
    close(fd);
    return throw_errno(env, err, what);
  }
  struct sockaddr_in6 dst;
  memset(&dst, 0, sizeof dst);
  dst.sin6_family = AF_INET6;
  inet_pton(AF_INET6, "ff02::1", &dst.sin6_addr);
  dst.sin6_scope_id = ifindex;

  union {
    char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
    struct cmsghdr align;
  } ctl;
  memset(&ctl, 0, sizeof ctl);
  struct iovec iov = {p, sizeof p};
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_name = &dst;
  msg.msg_namelen = sizeof dst;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = ctl.buf;
  msg.msg_controllen = sizeof ctl.buf;
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = IPPROTO_IPV6;
  c->cmsg_type = IPV6_PKTINFO;
  c->cmsg_len = CMSG_LEN(sizeof(struct in6_pktinfo));
  struct in6_pktinfo pi;
  memset(&pi, 0, sizeof pi);
  pi.ipi6_addr = target;
  pi.ipi6_ifindex = ifindex;
  memcpy(CMSG_DATA(c), &pi, sizeof pi);

  ssize_t n = sendmsg(fd, &msg, 0);
  if (n < 0 && (errno == EADDRNOTAVAIL || errno == EINVAL)) {
    /* The address is not (yet) usable as a source: let the kernel choose. */
    msg.msg_control = NULL;
    msg.msg_controllen = 0;
    n = sendmsg(fd, &msg, 0);
  }
  int err = errno;
  close(fd);
  if (n < 0) return throw_errno(env, err, "sendmsg(ICMPv6 NA)");
  return undef(env);
}

/* ---------- signals Node cannot subscribe to ---------- */

/*
 * Node only knows the classic signals; keepalived dumps JSON on SIGRTMIN+2.
 * signalFd(signo) installs a process-wide handler (whichever thread takes the
 * signal runs it) that writes one byte, the signal number, to a datagram
 * socketpair, and returns the reading end: watch it with kind 0. One pair per
 * signal, created once; later calls return the same fd.
 */
#define MAX_SIG 65
static int sig_write_fd[MAX_SIG];
static int sig_read_fd[MAX_SIG];

static void on_signal(int signo) {
  int saved = errno;
  if (signo > 0 && signo < MAX_SIG && sig_write_fd[signo] > 0) {
    unsigned char b = (unsigned char)signo;
    ssize_t r = write(sig_write_fd[signo], &b, 1); /* async-signal-safe; a full queue drops the byte */
    (void)r;
  }
  errno = saved;
}

static napi_value js_signal_fd(napi_env env, napi_callback_info info) {
  GET_ARGS(1);
  int32_t signo;
  if (!arg_int(env, argv[0], &signo) || signo < SIGRTMIN || signo > SIGRTMAX || signo >= MAX_SIG)
    return throw_arg(env, "signalFd(signo): a real-time signal number (SIGRTMIN..SIGRTMAX)");
  if (sig_read_fd[signo] <= 0) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0) return throw_errno(env, errno, "socketpair");
    sig_read_fd[signo] = sv[0];
    sig_write_fd[signo] = sv[1];
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(signo, &sa, NULL) < 0) {
      int err = errno;
      close(sv[0]);
      close(sv[1]);
      sig_read_fd[signo] = sig_write_fd[signo] = 0;
      return throw_errno(env, err, "sigaction");
    }
  }
  return num(env, sig_read_fd[signo]);
}

/* sigrtmin(): glibc's SIGRTMIN (34 with NPTL), so JS can name SIGRTMIN+2. */
static napi_value js_sigrtmin(napi_env env, napi_callback_info info) { return num(env, SIGRTMIN); }

/* ---------- syslog (Node has no AF_UNIX datagram sockets for /dev/log) ---------- */

static char syslog_ident[64];

/* syslogOpen(ident, facility): openlog with LOG_PID | LOG_NDELAY; facility as LOG_DAEMON etc. (already shifted). */
static napi_value js_syslog_open(napi_env env, napi_callback_info info) {
  GET_ARGS(2);
  int32_t facility;
  if (!arg_str(env, argv[0], syslog_ident, sizeof syslog_ident) || !arg_int(env, argv[1], &facility))
    return throw_arg(env, "syslogOpen(ident, facility)");
  openlog(syslog_ident, LOG_PID | LOG_NDELAY, facility);
  return undef(env);
}

/* syslog(priority, message): one record; the message is passed as "%s", never as a format. */
static napi_value js_syslog(napi_env env, napi_callback_info info) {
  GET_ARGS(2);
  int32_t prio;
  static char msg[4096];
  if (!arg_int(env, argv[0], &prio) || !arg_str(env, argv[1], msg, sizeof msg)) return throw_arg(env, "syslog(priority, message)");
  syslog(prio, "%s", msg);
  return undef(env);
}

/* ---------- the steady-state fast path: absorb (BACKUP) and repeat (MASTER) ---------- */

/*
 * A VRRP process in a steady state does the same thing 100 times a second:
 * a BACKUP receives the same advert from its master and restarts its
 * Master_Down_Timer; a MASTER sends the same advert every interval. Waking
 * JavaScript for each costs a Node process far more CPU than keepalived's C
 * loop (~80 µs per wake-up here), so the VRRP process hands these steady
 * states to C:
 *  - absorb: packets byte-identical to one the state machine accepted are
 *    counted, and each restarts a silence deadline; JavaScript is called only
 *    when no such packet came for `silenceMs` (its Master_Down_Interval), or
 *    sees any other packet as before;
 *  - repeat: one advert sent at absolute deadlines every `intervalMs`.
 * Either is stopped by JavaScript before anything else happens to the
 * instance; stop returns the count and the times, which the state machine
 * then takes in as if it had seen each event itself.
 */

/* What absorb and repeat share: a payload, a timerfd on Node's loop, a JS callback, counts. */
typedef struct {
  napi_env env;
  napi_ref cb;
  napi_async_context actx;
  unsigned char *payload;
  size_t len;
  double count;
  double last_at;
  double next_at; /* absorb: the silence deadline; repeat: the next send */
  int stopped;
  int tfd;
  uv_poll_t poll;
} fast_t;

struct absorb_s {
  fast_t f; /* first: the poll's data is the absorb */
  absorb_t *next;
  watch_t *w; /* NULL once the watch closed */
  int af;
  unsigned char src[16];
  int ttl;
  int ifindex;
  double silence_ms;
  int fired;
};

#define MAX_REPEAT_DST 64

typedef struct {
  fast_t f; /* first */
  int fd;
  struct sockaddr_storage dst[MAX_REPEAT_DST];
  socklen_t dlen[MAX_REPEAT_DST];
  int ndst;
  double interval_ms;
  int failed;
} repeat_t;

static void arm_abs(int tfd, double at_ms) {
  struct itimerspec its;
  memset(&its, 0, sizeof its);
  double secs = at_ms / 1e3;
  its.it_value.tv_sec = (time_t)secs;
  its.it_value.tv_nsec = (long)((secs - (double)its.it_value.tv_sec) * 1e9);
  if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0) its.it_value.tv_nsec = 1;
  timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static napi_value fast_state(napi_env env, const fast_t *f, double count) {
  napi_value o;
  napi_create_object(env, &o);
  napi_set_named_property(env, o, "count", num(env, count));
  napi_set_named_property(env, o, "lastAt", num(env, f->last_at));
  napi_set_named_property(env, o, "nextAt", num(env, f->next_at));
  return o;
}

/* Copies the payload, opens the timerfd armed at `first`, starts polling it; 0 or an errno. `owner` starts with its fast_t. */
static int fast_open(napi_env env, fast_t *f, const void *payload, size_t len, napi_value cb, const char *name, uv_poll_cb on, double first) {
  f->payload = malloc(len);
  f->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (!f->payload || f->tfd < 0) {
    int err = f->payload ? errno : ENOMEM;
    if (f->tfd >= 0) close(f->tfd);
    free(f->payload);
    return err;
  }
  memcpy(f->payload, payload, len);
  f->len = len;
  f->env = env;
  f->next_at = first;
  uv_loop_t *loop;
  napi_get_uv_event_loop(env, &loop);
  uv_poll_init(loop, &f->poll, f->tfd);
  f->poll.data = f;
  uv_unref((uv_handle_t *)&f->poll);
  napi_value n;
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &n);
  napi_async_init(env, NULL, n, &f->actx);
  napi_create_reference(env, cb, 1, &f->cb);
  uv_poll_start(&f->poll, UV_READABLE, on);
  arm_abs(f->tfd, first);
  return 0;
}

/* Drains the timerfd; true when the deadline has really come (not re-armed meanwhile). */
static int fast_due(fast_t *f) {
  uint64_t x;
  ssize_t r = read(f->tfd, &x, sizeof x);
  (void)r;
  return !f->stopped && mono_ms() + 0.001 >= f->next_at;
}

/* Calls the JS callback with ({count, lastAt, nextAt}) or, for `err`, (Error, state). The count stays for stop(). */
static void fast_callback(fast_t *f, int err) {
  napi_env env = f->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value cb, recv, args[2];
  size_t n = 0;
  if (err) args[n++] = make_err_value(env, err, "sendto");
  args[n++] = fast_state(env, f, f->count);
  napi_get_reference_value(env, f->cb, &cb);
  napi_get_global(env, &recv);
  if (napi_make_callback(env, f->actx, recv, cb, n, args, NULL) == napi_pending_exception) {
    napi_value e;
    napi_get_and_clear_last_exception(env, &e);
    napi_fatal_exception(env, e);
  }
  napi_close_handle_scope(env, scope);
}

static void fast_closed(uv_handle_t *h) {
  fast_t *f = h->data;
  close(f->tfd);
  free(f->payload);
  free(f); /* the absorb_t / repeat_t it starts */
}

static fast_t *fast_arg(napi_env env, napi_value v) {
  void *p = NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok) return NULL;
  return p;
}

/* peek(handle): {count, lastAt, nextAt} since the last peek; keeps running. */
static napi_value fast_peek(napi_env env, napi_callback_info info, const char *usage) {
  GET_ARGS(1);
  fast_t *f = fast_arg(env, argv[0]);
  if (!f || f->stopped) return throw_arg(env, usage);
  napi_value st = fast_state(env, f, f->count);
  f->count = 0;
  return st;
}

/* stop(handle): {count, lastAt, nextAt} since the last peek; the handle is dead afterwards. Idempotent. */
static napi_value fast_stop(napi_env env, fast_t *f) {
  if (f->stopped) return fast_state(env, f, 0);
  napi_value st = fast_state(env, f, f->count);
  f->stopped = 1;
  uv_poll_stop(&f->poll);
  napi_delete_reference(env, f->cb);
  napi_async_destroy(env, f->actx);
  uv_close((uv_handle_t *)&f->poll, fast_closed);
  return st;
}

static int absorb_match(watch_t *w, const pkt_t *p) {
  for (absorb_t *a = w->absorbs; a; a = a->next) {
    if (a->fired || a->af != p->af || a->ttl != p->ttl || a->ifindex != p->ifindex || a->f.len != p->len) continue;
    if (memcmp(a->src, p->src, p->af == AF_INET ? 4 : 16) != 0 || memcmp(a->f.payload, p->payload, p->len) != 0) continue;
    a->f.last_at = mono_ms();
    a->f.count += 1;
    a->f.next_at = a->f.last_at + a->silence_ms;
    arm_abs(a->f.tfd, a->f.next_at);
    return 1;
  }
  return 0;
}

static void absorb_unlink(absorb_t *a) {
  if (!a->w) return;
  for (absorb_t **pp = &a->w->absorbs; *pp; pp = &(*pp)->next)
    if (*pp == a) {
      *pp = a->next;
      break;
    }
  a->w = NULL;
}

static void absorb_detach_all(watch_t *w) {
  for (absorb_t *a = w->absorbs, *next; a; a = next) {
    next = a->next;
    a->w = NULL;
    a->fired = 1;
  }
  w->absorbs = NULL;
}

static void on_absorb_timer(uv_poll_t *h, int status, int events) {
  absorb_t *a = h->data;
  if (a->fired || !fast_due(&a->f)) return;
  a->fired = 1;
  fast_callback(&a->f, 0);
}

/*
 * absorbStart(watch, family, src, ttl, ifindex, payload, firstDeadline, silenceMs, cb): handle.
 * cb({count, lastAt, nextAt}) once, when nothing identical came for silenceMs.
 */
static napi_value js_absorb_start(napi_env env, napi_callback_info info) {
  GET_ARGS(9);
  void *wp = NULL;
  int32_t family, ttl, ifindex;
  char src[INET6_ADDRSTRLEN + 1];
  void *data;
  size_t len;
  double first, silence;
  napi_valuetype t;
  if (napi_get_value_external(env, argv[0], &wp) != napi_ok || !arg_int(env, argv[1], &family) || !arg_str(env, argv[2], src, sizeof src) ||
      !arg_int(env, argv[3], &ttl) || !arg_int(env, argv[4], &ifindex) || napi_get_buffer_info(env, argv[5], &data, &len) != napi_ok ||
      napi_get_value_double(env, argv[6], &first) != napi_ok || napi_get_value_double(env, argv[7], &silence) != napi_ok ||
      napi_typeof(env, argv[8], &t) != napi_ok || t != napi_function || len == 0 || len > RECV_BUF)
    return throw_arg(env, "absorbStart(watch, family, src, ttl, ifindex, payload, firstDeadline, silenceMs, cb)");
  watch_t *w = wp;
  if (w->closed || (w->kind != WATCH_VRRP4 && w->kind != WATCH_VRRP6)) return throw_arg(env, "absorbStart: not an open VRRP watch");
  absorb_t *a = calloc(1, sizeof *a);
  if (!a) return throw_errno(env, ENOMEM, "calloc");
  a->af = family == 4 ? AF_INET : AF_INET6;
  if (inet_pton(a->af, src, a->src) != 1) {
    free(a);
    return throw_arg(env, "absorbStart: src is not an address of that family");
  }
  a->ttl = ttl;
  a->ifindex = ifindex;
  a->silence_ms = silence;
  int err = fast_open(env, &a->f, data, len, argv[8], "kts_native.absorb", on_absorb_timer, first);
  if (err) {
    free(a);
    return throw_errno(env, err, "absorbStart");
  }
  a->w = w;
  a->next = w->absorbs;
  w->absorbs = a;
  napi_value ext;
  napi_create_external(env, a, NULL, NULL, &ext);
  return ext;
}

static napi_value js_absorb_peek(napi_env env, napi_callback_info info) {
  return fast_peek(env, info, "absorbPeek(handle): not a running absorb");
}

static napi_value js_absorb_stop(napi_env env, napi_callback_info info) {
  GET_ARGS(1);
  absorb_t *a = (absorb_t *)fast_arg(env, argv[0]);
  if (!a) return throw_arg(env, "absorbStop(handle)");
  absorb_unlink(a);
  return fast_stop(env, &a->f);
}

static void on_repeat_timer(uv_poll_t *h, int status, int events) {
  repeat_t *r = h->data;
  if (r->failed || !fast_due(&r->f)) return;
  double now = mono_ms();
  int err = 0;
  for (int i = 0; i < r->ndst; i++) {
    ssize_t n;
    do n = sendto(r->fd, r->f.payload, r->f.len, 0, (struct sockaddr *)&r->dst[i], r->dlen[i]);
    while (n < 0 && errno == EINTR);
    if (n < 0 && !err) err = errno;
  }
  if (err) {
    /* Hand the advert back to JavaScript, which sends, counts and logs as usual. */
    r->failed = 1;
    fast_callback(&r->f, err);
    return;
  }
  r->f.count += 1;
  r->f.last_at = now;
  r->f.next_at += r->interval_ms;
  if (r->f.next_at <= now) r->f.next_at = now + r->interval_ms;
  arm_abs(r->f.tfd, r->f.next_at);
}

/*
 * repeatStart(fd, family, dsts[], ifindex, payload, firstAt, intervalMs, onError): handle.
 * onError(err, {count, lastAt, nextAt}) if a send fails (the repeat then stops sending).
 */
static napi_value js_repeat_start(napi_env env, napi_callback_info info) {
  GET_ARGS(8);
  int32_t fd, family, ifindex;
  bool is_array = false;
  uint32_t nd = 0;
  void *data;
  size_t len;
  double first, interval;
  napi_valuetype t;
  if (!arg_int(env, argv[0], &fd) || !arg_int(env, argv[1], &family) || napi_is_array(env, argv[2], &is_array) != napi_ok || !is_array ||
      napi_get_array_length(env, argv[2], &nd) != napi_ok || nd == 0 || nd > MAX_REPEAT_DST || !arg_int(env, argv[3], &ifindex) ||
      napi_get_buffer_info(env, argv[4], &data, &len) != napi_ok || napi_get_value_double(env, argv[5], &first) != napi_ok ||
      napi_get_value_double(env, argv[6], &interval) != napi_ok || interval < 1 || napi_typeof(env, argv[7], &t) != napi_ok ||
      t != napi_function || len == 0)
    return throw_arg(env, "repeatStart(fd, family, dsts, ifindex, payload, firstAt, intervalMs, onError)");
  repeat_t *r = calloc(1, sizeof *r);
  if (!r) return throw_errno(env, ENOMEM, "calloc");
  for (uint32_t i = 0; i < nd; i++) {
    napi_value el;
    char dst[INET6_ADDRSTRLEN + 1];
    if (napi_get_element(env, argv[2], i, &el) != napi_ok || !arg_str(env, el, dst, sizeof dst) ||
        !parse_addr(family, dst, ifindex, &r->dst[i], &r->dlen[i])) {
      free(r);
      return throw_arg(env, "repeatStart: dsts must be addresses of that family");
    }
  }
  r->ndst = (int)nd;
  r->fd = fd;
  r->interval_ms = interval;
  int err = fast_open(env, &r->f, data, len, argv[7], "kts_native.repeat", on_repeat_timer, first);
  if (err) {
    free(r);
    return throw_errno(env, err, "repeatStart");
  }
  napi_value ext;
  napi_create_external(env, r, NULL, NULL, &ext);
  return ext;
}

static napi_value js_repeat_peek(napi_env env, napi_callback_info info) {
  return fast_peek(env, info, "repeatPeek(handle): not a running repeat");
}

static napi_value js_repeat_stop(napi_env env, napi_callback_info info) {
  GET_ARGS(1);
  fast_t *f = fast_arg(env, argv[0]);
  if (!f) return throw_arg(env, "repeatStop(handle)");
  return fast_stop(env, f);
}

/* ---------- monotonic timers (the VRRP clock) ---------- */

/*
 * Node's timers have whole-millisecond resolution against a loop time cached
 * at the start of each iteration, so a 10 ms advert timer fires up to 1 ms
 * early or late. A timerfd armed with an absolute CLOCK_MONOTONIC deadline
 * fires within microseconds; watch it with kind 1 (the callback gets the
 * expiration count).
 */

/* monotonicMs(): CLOCK_MONOTONIC in milliseconds (fractional). */
static napi_value js_monotonic_ms(napi_env env, napi_callback_info info) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return num(env, (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6);
}

/* timerfdOpen(): a non-blocking CLOCK_MONOTONIC timerfd. */
static napi_value js_timerfd_open(napi_env env, napi_callback_info info) {
  int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (fd < 0) return throw_errno(env, errno, "timerfd_create");
  return num(env, fd);
}

/* timerfdSet(fd, atMs): fire once at CLOCK_MONOTONIC time atMs (absolute); atMs <= 0 disarms. */
static napi_value js_timerfd_set(napi_env env, napi_callback_info info) {
  GET_ARGS(2);
  int32_t fd;
  double at;
  if (!arg_int(env, argv[0], &fd) || napi_get_value_double(env, argv[1], &at) != napi_ok) return throw_arg(env, "timerfdSet(fd, atMs)");
  struct itimerspec its;
  memset(&its, 0, sizeof its);
  if (at > 0) {
    double secs = at / 1e3;
    its.it_value.tv_sec = (time_t)secs;
    its.it_value.tv_nsec = (long)((secs - (double)its.it_value.tv_sec) * 1e9);
    if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0) its.it_value.tv_nsec = 1;
  }
  if (timerfd_settime(fd, at > 0 ? TFD_TIMER_ABSTIME : 0, &its, NULL) < 0) return throw_errno(env, errno, "timerfd_settime");
  return undef(env);
}

/* ---------- scheduling (keepalived's vrrp_rt_priority, vrrp_priority, vrrp_no_swap, vrrp_cpu_affinity, vrrp_rlimit_rttime) ---------- */

/*
 * setScheduler(tid, policy, priority): policy 0 = SCHED_OTHER, 1 = SCHED_FIFO,
 * 2 = SCHED_RR; always with SCHED_RESET_ON_FORK, so processes and threads
 * created later (ip, nft, worker threads) run at normal priority.
 */
static napi_value js_set_scheduler(napi_env env, napi_callback_info info) {
  GET_ARGS(3);
  int32_t tid, policy, prio;
  if (!arg_int(env, argv[0], &tid) || !arg_int(env, argv[1], &policy) || !arg_int(env, argv[2], &prio) || policy < 0 || policy > 2)
    return throw_arg(env, "setScheduler(tid, policy 0|1|2, priority)");
  int pol = policy == 0 ? SCHED_OTHER : policy == 1 ? SCHED_FIFO : SCHED_RR;
  struct sched_param sp;
  memset(&sp, 0, sizeof sp);
  sp.sched_priority = policy == 0 ? 0 : prio;
  if (sched_setscheduler(tid, pol | SCHED_RESET_ON_FORK, &sp) < 0) return throw_errno(env, errno, "sched_setscheduler");
  return undef(env);
}

/* setNice(tid, nice): setpriority(PRIO_PROCESS, tid, nice) - on Linux, one thread. */
static napi_value js_set_nice(napi_env env, napi_callback_info info) {
  GET_ARGS(2);
  int32_t tid, nice;
  if (!arg_int(env, argv[0], &tid) || !arg_int(env, argv[1], &nice)) return throw_arg(env, "setNice(tid, nice)");
  if (setpriority(PRIO_PROCESS, (id_t)tid, nice) < 0) return throw_errno(env, errno, "setpriority");
  return undef(env);
}

/* setRttimeLimit(us): RLIMIT_RTTIME soft and hard (CPU time of a realtime task between blocking system calls). */
static napi_value js_set_rttime_limit(napi_env env, napi_callback_info info) {
  GET_ARGS(1);
  double us;
  if (napi_get_value_double(env, argv[0], &us) != napi_ok || us <= 0) return throw_arg(env, "setRttimeLimit(microseconds)");
  struct rlimit rl = {(rlim_t)us, (rlim_t)us};
  if (setrlimit(RLIMIT_RTTIME, &rl) < 0) return throw_errno(env, errno, "setrlimit");
  return undef(env);
}

/* lockMemory(): mlockall(MCL_CURRENT | MCL_FUTURE) (keepalived's *_no_swap). */
static napi_value js_lock_memory(napi_env env, napi_callback_info info) {
  if (mlockall(MCL_CURRENT | MCL_FUTURE) < 0) return throw_errno(env, errno, "mlockall");
  return undef(env);
}

/* setAffinity(tid, cpus[]): sched_setaffinity. */
static napi_value js_set_affinity(napi_env env, napi_callback_info info) {
  GET_ARGS(2);
  int32_t tid;
  bool is_array = false;
  uint32_t n = 0;
  if (!arg_int(env, argv[0], &tid) || napi_is_array(env, argv[1], &is_array) != napi_ok || !is_array || napi_get_array_length(env, argv[1], &n) != napi_ok || n == 0)
    return throw_arg(env, "setAffinity(tid, cpus)");
  cpu_set_t set;
  CPU_ZERO(&set);
  for (uint32_t i = 0; i < n; i++) {
    napi_value el;
    int32_t cpu;
    if (napi_get_element(env, argv[1], i, &el) != napi_ok || !arg_int(env, el, &cpu) || cpu < 0 || cpu >= CPU_SETSIZE)
      return throw_arg(env, "setAffinity: cpus must be CPU numbers");
    CPU_SET(cpu, &set);
  }
  if (sched_setaffinity(tid, sizeof set, &set) < 0) return throw_errno(env, errno, "sched_setaffinity");
  return undef(env);
}

/* ---------- process identity (pkill/killall/pidof keepalived) ---------- */

/* setProcessName(name): the calling thread's name, /proc/self/comm for the main thread (15 bytes). */
static napi_value js_set_process_name(napi_env env, napi_callback_info info) {
  GET_ARGS(1);
  char name[64];
  if (!arg_str(env, argv[0], name, sizeof name)) return throw_arg(env, "setProcessName(name)");
  if (prctl(PR_SET_NAME, name, 0, 0, 0) < 0) return throw_errno(env, errno, "prctl");
  return undef(env);
}

/*
 * execv(file, argv): replace the process image, keeping the pid (systemd's
 * main pid, pid files). Returns only by throwing. The environment is the
 * process's own (Node keeps process.env in environ).
 */
static napi_value js_execv(napi_env env, napi_callback_info info) {
  GET_ARGS(2);
  char file[4096];
  uint32_t n = 0;
  bool is_array = false;
  if (!arg_str(env, argv[0], file, sizeof file) || napi_is_array(env, argv[1], &is_array) != napi_ok || !is_array ||
      napi_get_array_length(env, argv[1], &n) != napi_ok || n == 0 || n > 4096)
    return throw_arg(env, "execv(file, argv): a path and a non-empty array of strings");
  char **args = calloc(n + 1, sizeof *args);
  if (args == NULL) return throw_errno(env, ENOMEM, "calloc");
  napi_value r = NULL;
  for (uint32_t i = 0; i < n; i++) {
    napi_value el;
    size_t len = 0;
    if (napi_get_element(env, argv[1], i, &el) != napi_ok || napi_get_value_string_utf8(env, el, NULL, 0, &len) != napi_ok) {
      r = throw_arg(env, "execv(file, argv): argv must hold strings");
      goto out;
    }
    args[i] = malloc(len + 1);
    if (args[i] == NULL) {
      r = throw_errno(env, ENOMEM, "malloc");
      goto out;
    }
    napi_get_value_string_utf8(env, el, args[i], len + 1, &len);
  }
  /* Node opens the standard streams close-on-exec: keep them across the exec. */
  for (int fd = 0; fd <= 2; fd++) {
    int fl = fcntl(fd, F_GETFD);
    if (fl >= 0) fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC);
  }
  execv(file, args);
  r = throw_errno(env, errno, "execv");
out:
  for (uint32_t i = 0; i < n; i++) free(args[i]);
  free(args);
  return r;
}

/* ---------- AF_UNIX datagrams (sd_notify) ---------- */

/* unixDgramSend(path, data): one datagram to a socket path; "@name" is Linux's abstract namespace. */
static napi_value js_unix_dgram_send(napi_env env, napi_callback_info info) {
  GET_ARGS(2);
  char p[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
  void *data;
  size_t len;
  if (!arg_str(env, argv[0], p, sizeof p) || p[0] == 0 || napi_get_buffer_info(env, argv[1], &data, &len) != napi_ok)
    return throw_arg(env, "unixDgramSend(path, buffer)");
  struct sockaddr_un sa;
  memset(&sa, 0, sizeof sa);
  sa.sun_family = AF_UNIX;
  size_t plen = strlen(p);
  if (plen > sizeof sa.sun_path) return throw_arg(env, "unixDgramSend: path too long");
  memcpy(sa.sun_path, p, plen);
  if (p[0] == '@') sa.sun_path[0] = 0; /* abstract: the name is the bytes after the NUL, not NUL-terminated */
  socklen_t salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen + (p[0] == '@' ? 0 : 1));
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return throw_errno(env, errno, "socket");
  ssize_t sent = sendto(fd, data, len, MSG_NOSIGNAL, (struct sockaddr *)&sa, salen);
  int err = errno;
  close(fd);
  if (sent < 0) return throw_errno(env, err, "sendto");
  return num(env, (double)sent);
}

/* ---------- ICMP echo (PING_CHECK) ---------- */

/*
 * One socket per family serves every PING_CHECK of the checker process
 * (src/check/probes/ping.ts matches replies by identifier, sequence, source
 * and payload; the echo requests are built there too).
 *
 *  - icmpOpen(family, raw): SOCK_RAW IPPROTO_ICMP / IPPROTO_ICMPV6 (needs
 *    CAP_NET_RAW; sees destination-unreachable errors about our requests, and
 *    needs no sysctl) or, raw false, an unprivileged "ping" socket (SOCK_DGRAM,
 *    allowed by net.ipv4.ping_group_range; the kernel sets the identifier,
 *    the socket's port, and the checksums). Non-blocking, 128 KB receive
 *    buffer as keepalived's check_ping.c. Raw sockets get an ICMP(6)_FILTER
 *    letting in only echo replies, destination unreachable and time exceeded.
 *    Returns { fd, ident }: ident is the ping socket's identifier, -1 for raw.
 *  - icmpSend(fd, family, dst, src|null, ifindex, message): one ICMP message;
 *    `src` / `ifindex` (bindto / bind_if) per datagram through IP_PKTINFO /
 *    IPV6_PKTINFO, so one socket serves every source. IPv4 raw: the caller's
 *    checksum is sent as is; ICMPv6: the kernel computes it.
 *  - icmpWatch(fd, family, cb): a watch (unwatch / watchRef apply) calling
 *    cb(err, {data, src, dst, ttl, ifindex}) with the ICMP message only (an
 *    IPv4 raw socket's IP header is stripped; dst and ttl come from it).
 */
#define KTS_SOL_RAW 255      /* <linux/icmp.h> SOL_RAW: clashes with <netinet/ip_icmp.h> */
#define KTS_ICMP_FILTER 1    /* <linux/icmp.h> ICMP_FILTER: bit n set = drop ICMP type n */
#define KTS_ICMP_ECHOREPLY 0
#define KTS_ICMP_DEST_UNREACH 3
#define KTS_ICMP_TIME_EXCEEDED 11
#define ICMP_SOCK_RCVBUF (128 * 1024)

enum icmp_watch_kind { WATCH_ICMP4_RAW = 40, WATCH_ICMP4_DGRAM = 41, WATCH_ICMP6 = 60 };

static int icmp_filter_raw(int fd, int family) {
  if (family == 4) {
    uint32_t drop = ~((1u << KTS_ICMP_ECHOREPLY) | (1u << KTS_ICMP_DEST_UNREACH) | (1u << KTS_ICMP_TIME_EXCEEDED));
    return setsockopt(fd, KTS_SOL_RAW, KTS_ICMP_FILTER, &drop, sizeof drop);
  }
  struct icmp6_filter f;
  ICMP6_FILTER_SETBLOCKALL(&f);
  ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
  ICMP6_FILTER_SETPASS(ICMP6_DST_UNREACH, &f);
  ICMP6_FILTER_SETPASS(ICMP6_TIME_EXCEEDED, &f);
  return setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof f);
}

/* A ping socket's identifier: bound to the wildcard address, the kernel picks a free one. */
static int icmp_ping_ident(int fd, int family) {
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  socklen_t len = family == 4 ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
  ss.ss_family = family == 4 ? AF_INET : AF_INET6;
  if (bind(fd, (struct sockaddr *)&ss, len) < 0) return -1;
  len = sizeof ss;
  if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) return -1;
  return ntohs(family == 4 ? ((struct sockaddr_in *)&ss)->sin_port : ((struct sockaddr_in6 *)&ss)->sin6_port);
}

/* icmpOpen(family 4|6, raw: boolean): { fd, ident }. */
static napi_value js_icmp_open(napi_env env, napi_callback_info info) {
  GET_ARGS(2);
  int32_t family;
  bool raw;
  if (!arg_int(env, argv[0], &family) || (family != 4 && family != 6) || napi_get_value_bool(env, argv[1], &raw) != napi_ok)
    return throw_arg(env, "icmpOpen(family 4|6, raw)");
  int af = family == 4 ? AF_INET : AF_INET6;
  int proto = family == 4 ? IPPROTO_ICMP : IPPROTO_ICMPV6;
  int fd = socket(af, (raw ? SOCK_RAW : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
  if (fd < 0) return throw_errno(env, errno, raw ? "socket(SOCK_RAW)" : "socket(SOCK_DGRAM)");
  int ident = -1;
  const char *failed = NULL;
  if (set_int(fd, SOL_SOCKET, SO_RCVBUF, ICMP_SOCK_RCVBUF) < 0) failed = "setsockopt(SO_RCVBUF)";
  else if (raw && icmp_filter_raw(fd, family) < 0) failed = family == 4 ? "setsockopt(ICMP_FILTER)" : "setsockopt(ICMP6_FILTER)";
  else if (!raw && (ident = icmp_ping_ident(fd, family)) < 0) failed = "bind";
  if (failed) {
    int err = errno;
    close(fd);
    return throw_errno(env, err, failed);
  }
  napi_value o;
  napi_create_object(env, &o);
  napi_set_named_property(env, o, "fd", num(env, fd));
  napi_set_named_property(env, o, "ident", num(env, ident));
  return o;
}

/* icmpSend(fd, family, dst, src|null, ifindex, message): bytes sent. */
static napi_value js_icmp_send(napi_env env, napi_callback_info info) {
  GET_ARGS(6);
  int32_t fd, family, ifindex;
  char dst[INET6_ADDRSTRLEN + 1], src[INET6_ADDRSTRLEN + 1];
  void *data;
  size_t len;
  int has_src = argc >= 4 && !is_nullish(env, argv[3]);
  if (argc < 6 || !arg_int(env, argv[0], &fd) || !arg_int(env, argv[1], &family) || (family != 4 && family != 6) ||
      !arg_str(env, argv[2], dst, sizeof dst) || (has_src && !arg_str(env, argv[3], src, sizeof src)) ||
      !arg_int(env, argv[4], &ifindex) || ifindex < 0 || napi_get_buffer_info(env, argv[5], &data, &len) != napi_ok)
    return throw_arg(env, "icmpSend(fd, family, dst, src|null, ifindex, buffer)");
  struct sockaddr_storage to;
  socklen_t tolen;
  if (!parse_addr(family, dst, ifindex, &to, &tolen)) return throw_arg(env, "icmpSend: dst is not an address of that family");
  union {
    char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
    struct cmsghdr align;
  } ctl;
  memset(&ctl, 0, sizeof ctl);
  struct iovec iov = {data, len};
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_name = &to;
  msg.msg_namelen = tolen;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (has_src || ifindex > 0) {
    struct cmsghdr *c = (struct cmsghdr *)ctl.buf;
    if (family == 4) {
      struct in_pktinfo pi;
      memset(&pi, 0, sizeof pi);
      pi.ipi_ifindex = ifindex;
      if (has_src && inet_pton(AF_INET, src, &pi.ipi_spec_dst) != 1) return throw_arg(env, "icmpSend: src is not an IPv4 address");
      c->cmsg_level = IPPROTO_IP;
      c->cmsg_type = IP_PKTINFO;
      c->cmsg_len = CMSG_LEN(sizeof pi);
      memcpy(CMSG_DATA(c), &pi, sizeof pi);
      msg.msg_controllen = CMSG_SPACE(sizeof pi);
    } else {
      struct in6_pktinfo pi;
      memset(&pi, 0, sizeof pi);
      pi.ipi6_ifindex = ifindex;
      if (has_src && inet_pton(AF_INET6, src, &pi.ipi6_addr) != 1) return throw_arg(env, "icmpSend: src is not an IPv6 address");
      c->cmsg_level = IPPROTO_IPV6;
      c->cmsg_type = IPV6_PKTINFO;
      c->cmsg_len = CMSG_LEN(sizeof pi);
      memcpy(CMSG_DATA(c), &pi, sizeof pi);
      msg.msg_controllen = CMSG_SPACE(sizeof pi);
    }
    msg.msg_control = ctl.buf;
  }
  ssize_t n;
  do n = sendmsg(fd, &msg, MSG_DONTWAIT);
  while (n < 0 && errno == EINTR);
  if (n < 0) return throw_errno(env, errno, "sendmsg");
  return num(env, (double)n);
}

/* One ICMP message off an ICMP watch: 1 with *out set, 0 at EAGAIN (or with *out an Error), -1 to skip. */
static int icmp_read_one(napi_env env, watch_t *w, napi_value *out) {
  struct sockaddr_storage from;
  struct iovec iov = {w->buf, RECV_BUF};
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  memset(&from, 0, sizeof from);
  msg.msg_name = &from;
  msg.msg_namelen = sizeof from;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  ssize_t n;
  do n = recvmsg(w->fd, &msg, MSG_DONTWAIT);
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
    *out = make_err_value(env, errno, "recvmsg");
    return 0;
  }
  if (msg.msg_flags & MSG_TRUNC) return -1;
  const unsigned char *p = w->buf;
  size_t len = (size_t)n;
  int ttl = -1;
  napi_value src, dst;
  if (w->kind == WATCH_ICMP4_RAW) {
    /* A raw IPv4 socket delivers the IP header: strip it, take source, destination and TTL from it. */
    size_t ihl = len >= 20 ? (size_t)(p[0] & 0x0f) * 4 : 0;
    if (len < 20 || (p[0] >> 4) != 4 || ihl < 20 || ihl > len) return -1;
    ttl = p[8];
    src = addr_text(env, AF_INET, p + 12);
    dst = addr_text(env, AF_INET, p + 16);
    p += ihl;
    len -= ihl;
  } else {
    int af = w->kind == WATCH_ICMP6 ? AF_INET6 : AF_INET;
    if (from.ss_family != af) return -1;
    src = af == AF_INET ? addr_text(env, af, &((struct sockaddr_in *)&from)->sin_addr)
                        : addr_text(env, af, &((struct sockaddr_in6 *)&from)->sin6_addr);
    napi_create_string_utf8(env, "", 0, &dst);
  }
  napi_value data;
  napi_create_buffer_copy(env, len, p, NULL, &data);
  *out = packet_object(env, data, src, dst, ttl, 0);
  return 1;
}

static void on_icmp_poll(uv_poll_t *h, int status, int events) {
  watch_t *w = h->data;
  napi_env env = w->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  if (status < 0) {
    /* libuv has stopped this poll (POLLERR): the owner reopens the socket. */
    call_js(env, w, make_err_value(env, -status, "uv_poll"), NULL);
  } else {
    for (int i = 0; i < 256 && !w->closed; i++) {
      napi_value out = NULL;
      int r = icmp_read_one(env, w, &out);
      if (r < 0) continue;
      if (r == 0) {
        if (out) call_js(env, w, out, NULL);
        break;
      }
      call_js(env, w, NULL, out);
    }
  }
  napi_close_handle_scope(env, scope);
}

/* icmpWatch(fd, family 4|6, cb): handle (stop it with unwatch before close). */
static napi_value js_icmp_watch(napi_env env, napi_callback_info info) {
  GET_ARGS(3);
  int32_t fd, family;
  napi_valuetype t;
  if (!arg_int(env, argv[0], &fd) || !arg_int(env, argv[1], &family) || (family != 4 && family != 6) ||
      napi_typeof(env, argv[2], &t) != napi_ok || t != napi_function)
    return throw_arg(env, "icmpWatch(fd, family 4|6, callback)");
  int type = 0;
  socklen_t tlen = sizeof type;
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) < 0) return throw_errno(env, errno, "getsockopt(SO_TYPE)");
  int kind = family == 6 ? WATCH_ICMP6 : type == SOCK_RAW ? WATCH_ICMP4_RAW : WATCH_ICMP4_DGRAM;
  return watch_create(env, fd, kind, argv[2], "kts_native.icmpWatch", on_icmp_poll);
}

/* ---------- route announcement: a TUN device that dies with the process ----------
 *
 * The VRRP process puts the VIPs it announces by route on a TUN device it
 * opened itself. The device is not persistent (no TUNSETPERSIST): when the
 * last fd on it closes - the process exits, or is killed with SIGKILL - the
 * kernel unregisters it, and with it its addresses and connected routes, so
 * the routing daemon (FRR's zebra, BIRD's direct protocol) withdraws at once.
 * O_CLOEXEC: no `ip`/`nft` child may keep it alive. A persistent device of
 * that name left by someone else is taken over and made non-persistent.
 *
 * tunOpen(name) -> { fd, ifname }. Nothing is read from the fd: the kernel
 * delivers traffic for local addresses locally, and drops what it would send
 * into the device (multicast reports) once its queue is full.
 */
static napi_value js_tun_open(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char name[IFNAMSIZ];
  size_t len = 0;
  if (argc < 1 || napi_get_value_string_utf8(env, argv[0], name, sizeof name, &len) != napi_ok || len == 0 || len >= IFNAMSIZ - 1)
    return throw_arg(env, "tunOpen(name): 1 to 14 characters");
  int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return throw_errno(env, errno, "open(/dev/net/tun)");
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  memcpy(ifr.ifr_name, name, len);
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    int e = errno;
    close(fd);
    return throw_errno(env, e, "ioctl(TUNSETIFF)");
  }
  struct ifreq got;
  memset(&got, 0, sizeof got);
  if (ioctl(fd, TUNGETIFF, &got) == 0 && (got.ifr_flags & IFF_PERSIST) && ioctl(fd, TUNSETPERSIST, 0) < 0) {
    int e = errno;
    close(fd);
    return throw_errno(env, e, "ioctl(TUNSETPERSIST 0)");
  }
  napi_value o, v;
  napi_create_object(env, &o);
  napi_create_int32(env, fd, &v);
  napi_set_named_property(env, o, "fd", v);
  napi_create_string_utf8(env, ifr.ifr_name, strnlen(ifr.ifr_name, IFNAMSIZ), &v);
  napi_set_named_property(env, o, "ifname", v);
  return o;
}

/* ---------- module ---------- */

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"ifNameToIndex", NULL, js_if_name_to_index, NULL, NULL, NULL, napi_enumerable, NULL},
      {"ifHwAddr", NULL, js_if_hwaddr, NULL, NULL, NULL, napi_enumerable, NULL},
      {"vrrpOpen", NULL, js_vrrp_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"mcastMembership", NULL, js_mcast_membership, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sendTo", NULL, js_send_to, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setRcvBuf", NULL, js_set_rcvbuf, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_enumerable, NULL},
      {"netlinkOpen", NULL, js_netlink_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"netlinkSend", NULL, js_netlink_send, NULL, NULL, NULL, napi_enumerable, NULL},
      {"recv", NULL, js_recv, NULL, NULL, NULL, napi_enumerable, NULL},
      {"watch", NULL, js_watch, NULL, NULL, NULL, napi_enumerable, NULL},
      {"unwatch", NULL, js_unwatch, NULL, NULL, NULL, napi_enumerable, NULL},
      {"watchRef", NULL, js_watch_ref, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sendGarp", NULL, js_send_garp, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sendUnsolicitedNa", NULL, js_send_na, NULL, NULL, NULL, napi_enumerable, NULL},
      {"signalFd", NULL, js_signal_fd, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sigrtmin", NULL, js_sigrtmin, NULL, NULL, NULL, napi_enumerable, NULL},
      {"syslogOpen", NULL, js_syslog_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"syslog", NULL, js_syslog, NULL, NULL, NULL, napi_enumerable, NULL},
      {"monotonicMs", NULL, js_monotonic_ms, NULL, NULL, NULL, napi_enumerable, NULL},
      {"timerfdOpen", NULL, js_timerfd_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"timerfdSet", NULL, js_timerfd_set, NULL, NULL, NULL, napi_enumerable, NULL},
      {"absorbStart", NULL, js_absorb_start, NULL, NULL, NULL, napi_enumerable, NULL},
      {"absorbPeek", NULL, js_absorb_peek, NULL, NULL, NULL, napi_enumerable, NULL},
      {"absorbStop", NULL, js_absorb_stop, NULL, NULL, NULL, napi_enumerable, NULL},
      {"repeatStart", NULL, js_repeat_start, NULL, NULL, NULL, napi_enumerable, NULL},
      {"repeatPeek", NULL, js_repeat_peek, NULL, NULL, NULL, napi_enumerable, NULL},
      {"repeatStop", NULL, js_repeat_stop, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setScheduler", NULL, js_set_scheduler, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setNice", NULL, js_set_nice, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setRttimeLimit", NULL, js_set_rttime_limit, NULL, NULL, NULL, napi_enumerable, NULL},
      {"lockMemory", NULL, js_lock_memory, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setAffinity", NULL, js_set_affinity, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setProcessName", NULL, js_set_process_name, NULL, NULL, NULL, napi_enumerable, NULL},
      {"execv", NULL, js_execv, NULL, NULL, NULL, napi_enumerable, NULL},
      {"unixDgramSend", NULL, js_unix_dgram_send, NULL, NULL, NULL, napi_enumerable, NULL},
      {"icmpOpen", NULL, js_icmp_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"icmpSend", NULL, js_icmp_send, NULL, NULL, NULL, napi_enumerable, NULL},
      {"icmpWatch", NULL, js_icmp_watch, NULL, NULL, NULL, napi_enumerable, NULL},
      {"tunOpen", NULL, js_tun_open, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  napi_value v;
  napi_create_int32(env, 6, &v);
  napi_set_named_property(env, exports, "abiVersion", v);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
