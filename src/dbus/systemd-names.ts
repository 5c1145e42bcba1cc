// Pure helpers for systemd's D-Bus API: unit names, object paths and the meaning of its
// state strings. No I/O here, so all of it is unit-tested.

/** Characters systemd allows in a unit name (before the suffix), templates and instances included. */
const UNIT_CHARS = /^[A-Za-z0-9:_.\\@-]+$/;

/**
 * `foo` and `foo.service` both name `foo.service`. Returns undefined when the name cannot be a
 * service unit name (empty, a path, characters systemd rejects, too long).
 */
export function serviceUnitName(name: string): string | undefined {
  const unit = name.endsWith('.service') ? name : `${name}.service`;
  const stem = unit.slice(0, -'.service'.length);
  if (stem === '' || stem.startsWith('@') || !UNIT_CHARS.test(stem) || unit.length > 255) return undefined;
  return unit;
}

/**
 * The object path systemd gives a unit: /org/freedesktop/systemd1/unit/ + the name with every
 * byte that is not [A-Za-z0-9] (and a leading digit) written as _xx, as sd_bus_path_encode does.
 */
export function unitObjectPath(unit: string): string {
  let out = '';
  const bytes = Buffer.from(unit, 'utf8');
  bytes.forEach((b, i) => {
    const c = String.fromCharCode(b);
    const alnum = /[A-Za-z0-9]/.test(c) && b < 128;
    if (alnum && !(i === 0 && /[0-9]/.test(c))) out += c;
    else out += '_' + b.toString(16).padStart(2, '0');
  });
  return `/org/freedesktop/systemd1/unit/${out || '_'}`;
}

/** ActiveState values that are on their way somewhere else: wait, never decide on them. */
export function isTransient(activeState: string): boolean {
  return activeState === 'activating' || activeState === 'deactivating' || activeState === 'reloading' || activeState === 'refreshing';
}

/** What JobRemoved's result means, for error messages. "done" is the only success. */
export function describeJobResult(result: string): string {
  switch (result) {
    case 'done':
      return 'done';
    case 'canceled':
      return 'the job was canceled (another job replaced it)';
    case 'timeout':
      return 'the job timed out';
    case 'failed':
      return 'the unit failed';
    case 'dependency':
      return 'a unit it depends on failed';
    case 'skipped':
      return 'the job was skipped (its condition did not apply)';
    case 'invalid':
      return 'the job is not valid for this unit';
    case 'assert':
      return 'an Assert* condition of the unit failed';
    case 'unsupported':
      return 'the unit type is not supported here';
    case 'collected':
      return 'the job was garbage-collected before it ran';
    case 'once':
      return 'the unit may only be started once (RefuseManualStart or once-only)';
    default:
      return `result "${result}"`;
  }
}

/** The enablement of a unit file as the svc resource sees it. */
export type Enablement = 'enabled' | 'disabled' | 'masked' | 'static' | 'missing';

/**
 * Folds systemd's UnitFileState (from GetUnitFileState) into what `startup` can ask for:
 * enabled(-runtime) and alias count as enabled; linked, disabled and indirect as disabled (they
 * are not started at boot on their own); masked stays masked; static, generated and transient
 * units cannot be enabled or disabled at all; an empty or "bad" state means no unit file.
 */
export function enablement(unitFileState: string): Enablement {
  switch (unitFileState) {
    case 'enabled':
    case 'enabled-runtime':
    case 'alias':
      return 'enabled';
    case 'disabled':
    case 'linked':
    case 'linked-runtime':
    case 'indirect':
      return 'disabled';
    case 'masked':
    case 'masked-runtime':
      return 'masked';
    case 'static':
    case 'generated':
    case 'transient':
      return 'static';
    default:
      return 'missing';
  }
}
