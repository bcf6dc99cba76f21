/**
 * What the checker service tells the notifier and the log, in keepalived
 * 2.2.7's words (check_*.c, ipwrapper.c):
 *  - a real server going up/down: notify_up / notify_down (argv as
 *    configured), the FIFO line `RS [198.51.100.2]:tcp:80 [192.0.2.100]:tcp:80 DOWN`,
 *    and (smtp_alert, on by default for real servers) a mail
 *    `[router_id] Realserver <rs> of virtual server <vs> - DOWN` whose body
 *    names the checker type (`=> TCP CHECK failed on service <=`);
 *  - an alpha checker's first failure: notify_down and the FIFO line, no mail;
 *  - quorum: quorum_up / quorum_down, `VS [192.0.2.100]:tcp:80 UP`, and (the
 *    virtual server's smtp_alert) `[router_id] Virtualserver <vs> - UP` with
 *    `=> Gained quorum 1+0=1 <= 2 <=`; at start every virtual server whose
 *    live weight reaches quorum + hysteresis reports "Starting with quorum up";
 *  - a real server removed by a reload (`=> Removing <=`) or shut down at stop
 *    (`=> Shutting down <=`, only with `omega`), and the quorum lost with it.
 * Notifier failures are logged, never thrown.
 */
import type { Logger } from '../../core/log';
import { realWeight, type LvsEvent } from '../../lvs/model';
import type { Notifier } from '../../notify';
import type { VirtualServerPlan } from './checker-plan';
import type { Cause, RealServerRt, VirtualServerRt } from './runtime';

export type CheckerNotifier = Pick<Notifier, 'realServer' | 'virtualServer'>;

/** keepalived's mail bodies per checker type (check_*.c smtp_alert() calls); FILE_CHECK sends none. */
export function checkerMailBody(type: string, up: boolean, detail: string): string | undefined {
  switch (type) {
    case 'TCP_CHECK':
      return up ? '=> TCP CHECK succeed on service <=' : '=> TCP CHECK failed on service <=';
    case 'HTTP_GET':
    case 'SSL_GET':
      return up ? '=> CHECK succeed on service <=' : '=> CHECK failed on service : HTTP request failed <=';
    case 'SMTP_CHECK':
      return up ? '=> CHECK succeed on service <=' : '=> CHECK failed on service <=';
    case 'MISC_CHECK':
      return `=> MISC CHECK ${up ? 'succeeded' : /timed out|timeout/.test(detail) ? 'timed out' : 'failed'} on service <=`;
    case 'DNS_CHECK':
      return up ? '=> DNS_CHECK: succeed on service <=' : '=> DNS_CHECK: failed on service <=';
    case 'PING_CHECK':
      return up ? '=> ICMP CHECK succeed on service <=' : '=> ICMP CHECK failed on service <=';
    case 'UDP_CHECK':
      return up ? '=> UDP CHECK succeed on service <=' : '=> UDP CHECK failed on service <=';
    default:
      return undefined;
  }
}

/** keepalived's log line when a checker comes up. */
export function successLine(type: string, rs: string, vs: string): string {
  switch (type) {
    case 'TCP_CHECK':
      return `TCP connection to ${rs} success.`;
    case 'PING_CHECK':
      return `ICMP connection to ${rs} success.`;
    case 'UDP_CHECK':
      return `UDP connection to ${rs} success.`;
    case 'HTTP_GET':
    case 'SSL_GET':
      return `Remote Web server ${rs} succeed on service.`;
    case 'SMTP_CHECK':
      return `Remote SMTP server ${rs} succeed on service.`;
    case 'MISC_CHECK':
      return `Misc check for [${rs} VS ${vs}] succeeded.`;
    default:
      return `${type} on service ${rs} succeeded.`;
  }
}

export class CheckerNotifications {
  constructor(
    private readonly notifier: CheckerNotifier,
    private readonly log: Logger,
  ) {}

  /** perform_svr_state(): "Removing service X from VS Y" ("Disabling" with inhibit_on_failure), then the notifications. */
  realServerChanged(rs: RealServerRt, up: boolean, cause: Cause): void {
    if (cause.kind !== 'initial') {
      const verb = up ? (rs.plan.inhibit ? 'Enabl' : 'Add') : rs.plan.inhibit ? 'Disabl' : 'Remov';
      const prep = rs.plan.inhibit ? 'of' : up ? 'to' : 'from';
      this.log.info(`${verb}ing service ${rs.plan.key} ${prep} VS ${rs.vs.plan.key}`);
    }
    void this.realServer(rs, up, cause);
  }

  /** notify_up / notify_down, the FIFO line and (smtp_alert) the mail, with the checker's body unless `body` says otherwise. */
  realServer(rs: RealServerRt, up: boolean, cause: Cause, body?: string): Promise<void> {
    const mailBody = body ?? (cause.kind === 'checker' ? checkerMailBody(cause.type, up, cause.detail) : undefined);
    const change: Parameters<CheckerNotifier['realServer']>[0] = { rs: rs.plan.key, vs: rs.vs.plan.key, up, smtpAlert: rs.plan.smtpAlert && mailBody !== undefined };
    const script = up ? rs.plan.notifyUp : rs.plan.notifyDown;
    if (script) change.script = script;
    if (mailBody !== undefined) change.mailBody = mailBody;
    return this.settle(this.notifier.realServer(change));
  }

  /** update_quorum_state()'s logs and do_vs_notifies(). */
  quorum(vs: VirtualServerRt, e: LvsEvent): void {
    const up = e.kind === 'quorum_up';
    const p = vs.plan;
    const sum = e.weightSum ?? 0;
    const thr = e.threshold ?? p.quorum;
    if (up) {
      this.log.info(`Gained quorum ${p.quorum}+${p.hysteresis}=${thr} <= ${sum} for VS ${p.key}`);
      if (p.sorry && !e.init) {
        this.log.info(`${p.sorry.inhibit ? 'Disabling' : 'Removing'} sorry server ${p.sorry.key} from VS ${p.key}`);
        this.log.info(`Adding alive servers to the pool for VS ${p.key}`);
      }
    } else {
      this.log.info(`${e.init ? 'Starting with quorum down' : 'Lost quorum'} ${p.quorum}-${p.hysteresis}=${thr} > ${sum} for VS ${p.key}`);
      if (p.sorry) {
        this.log.info(`${p.sorry.inhibit ? 'Enabling' : 'Adding'} sorry server ${p.sorry.key} to VS ${p.key}`);
        this.log.info(`Removing alive servers from the pool for VS ${p.key}`);
      }
    }
    const text = up ? (e.init ? 'Starting with quorum up' : 'Gained quorum') : e.init ? 'Starting with quorum down' : 'Lost quorum';
    // do_vs_notifies(): "=> %s %u+%u=%ld <= %ld <=" whatever the direction.
    void this.virtualServer(p, up, `=> ${text} ${p.quorum}+${p.hysteresis}=${thr} <= ${sum} <=`);
  }

  /**
   * clear_service_rs(): a real server leaves (reload) or the daemon stops.
   * Live servers are reported down, at stop only with `omega`.
   */
  clearRealServer(rs: RealServerRt, why: 'reload' | 'stop'): Promise<void> {
    const vs = rs.vs;
    const inhibited = rs.plan.inhibit && !rs.alive ? '(inhibited) ' : '';
    if (why === 'stop') this.log.info(`Shutting down ${inhibited}service ${rs.plan.key} from VS ${vs.plan.key}`);
    else if (rs.alive || rs.plan.inhibit) this.log.info(`Removing ${inhibited}service ${rs.plan.key} from VS ${vs.plan.key}`);
    if (!rs.alive) return Promise.resolve();
    rs.alive = false;
    if (why === 'stop' && !vs.plan.omega) return Promise.resolve();
    return this.realServer(rs, false, { kind: 'other' }, why === 'stop' ? '=> Shutting down <=' : '=> Removing <=');
  }

  /**
   * update_vs_notifies(): after real servers left, quorum is lost if the live
   * weight fell below quorum - hysteresis (always, when stopping). Says
   * whether quorum is still up, and when the notification is done.
   */
  quorumAfterRemoval(vs: VirtualServerRt, wasUp: boolean, stopping: boolean): { up: boolean; done: Promise<void> } {
    const p = vs.plan;
    const threshold = p.quorum - p.hysteresis;
    let sum = 0;
    for (const rs of vs.rs.values()) if (rs.alive) sum += realWeight(rs.plan.weight + rs.delta);
    if (!stopping && !(wasUp && (sum === 0 || sum < threshold))) return { up: wasUp, done: Promise.resolve() };
    // "Only send non SNMP notifies when stopping if omega set."
    if (stopping && !p.omega) return { up: false, done: Promise.resolve() };
    if (!stopping) this.log.info(`Lost quorum ${p.quorum}-${p.hysteresis}=${threshold} > ${sum} for VS ${p.key}`);
    const done = this.virtualServer(p, false, stopping ? '=> Shutting down <=' : `=> Lost quorum ${p.quorum}+${p.hysteresis}=${threshold} <= ${sum} <=`);
    return { up: false, done };
  }

  private virtualServer(p: VirtualServerPlan, up: boolean, mailBody: string): Promise<void> {
    const change: Parameters<CheckerNotifier['virtualServer']>[0] = { vs: p.key, up, smtpAlert: p.smtpAlert, mailBody };
    const script = up ? p.quorumUp : p.quorumDown;
    if (script) change.script = script;
    return this.settle(this.notifier.virtualServer(change));
  }

  private settle(p: Promise<void>): Promise<void> {
    return p.catch((err: unknown) => this.log.error(`checker notification failed: ${(err as Error)?.message ?? String(err)}`));
  }
}
