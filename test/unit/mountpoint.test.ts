import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expandMountpoint, mountpoint, mountpointProblem } from '../../src/broker/mountpoint.js';

describe('mountpoint', () => {
  it('expands ${clientid} and ${username}; an undefined username keeps its placeholder (EMQX)', () => {
    expect(expandMountpoint('sn/${clientid}/${username}/', 'c1', 'u1')).toBe('sn/c1/u1/');
    expect(expandMountpoint('sn/${username}/', 'c1', undefined)).toBe('sn/${username}/');
    expect(expandMountpoint('plain/', 'c1', 'u1')).toBe('plain/');
  });

  it('mounts names and filters, shared filters after $share/{group}/', () => {
    const mp = mountpoint('gw/');
    expect(mp.mount('a/b')).toBe('gw/a/b');
    expect(mp.mount('#')).toBe('gw/#');
    expect(mp.mount('$share/g/a/+')).toBe('$share/g/gw/a/+');
    expect(mp.unmount('gw/a/b')).toBe('a/b');
    expect(mp.unmount('other/a')).toBe('other/a');
  });

  it('no mountpoint is the identity', () => {
    const mp = mountpoint(undefined);
    expect(mp.prefix).toBe('');
    expect(mp.mount('a')).toBe('a');
    expect(mp.unmount('a')).toBe('a');
  });

  it('rejects prefixes with wildcards, NUL or a leading $', () => {
    expect(mountpointProblem('sn/a+b/')).toMatch(/wildcard/);
    expect(mountpointProblem('sn/#/')).toMatch(/wildcard/);
    expect(mountpointProblem('$SYS/')).toMatch(/\$/);
    expect(mountpointProblem('sn/ok/')).toBeUndefined();
  });

  it('property: unmount(mount(t)) = t for any non-shared topic and prefix', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string(), (prefix, topic) => {
        fc.pre(!topic.startsWith('$share/'));
        const mp = mountpoint(prefix);
        expect(mp.unmount(mp.mount(topic))).toBe(topic);
      }),
    );
  });
});
