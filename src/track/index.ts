/** Trackers: vrrp_script, track_file, track_interface -> contributions to priority / FAULT. */
export * from './priority';
export * from './script';
export * from './file';
export * from './script-check';
/** For `-t`: a track script that does not exist or is not executable. */
export { checkScriptPath, checkScriptSecurity } from '../notify/security';
export type { ScriptPathDiagnostic, ScriptSecurityResult } from '../notify/security';
export * from './process';
export { ProcSource } from './proc-source';
