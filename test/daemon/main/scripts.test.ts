import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfigText } from '../../../src/config';
import { checkConfigScriptsReport } from '../../../src/track';
import { withoutDisabledScripts } from '../../../src/daemon/main/scripts';

const TEXT = `
vrrp_script gone {
    script "/nonexistent/check.sh"
    weight -20
}
vrrp_script ok {
    script "/bin/true"
}
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    priority 100
    virtual_ipaddress {
        192.0.2.100/24
    }
    track_script {
        gone
        ok
    }
    notify_master "/nonexistent/notify.sh master"
    notify_backup /bin/true
}
`;

test('a script keepalived would not run is dropped: vrrp_script from every track_script, notify scripts from their slot', () => {
  const cfg = parseConfigText(TEXT, 'k.conf', { hostname: 'h' }).config;
  const report = checkConfigScriptsReport(cfg, { uid: 0, gid: 0 });
  const r = withoutDisabledScripts(cfg, report);
  assert.deepEqual(r.config.vrrpScripts.map((s) => s.name), ['ok']);
  assert.deepEqual(r.config.instances[0].trackScript.map((t) => t.name), ['ok']);
  assert.equal(r.config.instances[0].notify.master, undefined);
  assert.deepEqual(r.config.instances[0].notify.backup?.argv, ['/bin/true']);
  assert.deepEqual(r.messages, ['Disabling track script gone since not found/accessible']);
  assert.ok(report.diagnostics.some((d) => d.code === 'W_SCRIPT_NOT_FOUND' && d.line === 3), 'the missing vrrp_script is named at its line');
  // The original model is untouched.
  assert.equal(cfg.instances[0].trackScript.length, 2);
});

test('nothing disabled: the same configuration object comes back', () => {
  const cfg = parseConfigText(TEXT.replace(/\/nonexistent\/[a-z.]+/g, '/bin/true'), 'k.conf', { hostname: 'h' }).config;
  const r = withoutDisabledScripts(cfg, checkConfigScriptsReport(cfg, { uid: 0, gid: 0 }));
  assert.equal(r.config, cfg);
  assert.deepEqual(r.messages, []);
});
