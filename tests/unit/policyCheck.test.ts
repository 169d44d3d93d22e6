import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const root = join(__dirname, '..', '..');
const check = (...files: string[]) =>
  promisify(execFile)(join(root, 'node_modules', '.bin', 'tsx'), [join(root, 'scripts', 'policy-check.ts'), ...files], { cwd: root }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );

describe('npm run policy:check', () => {
  it('passes every pack in policies/ with exit code 0', async () => {
    const result = await check('policies/bromley.yaml', 'policies/hull.yaml', 'policies/barnet.yaml', 'policies/chew-stoke.yaml', 'policies/generic.yaml');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/bromley.yaml: valid. .*version 1.5; 5 stages/);
  });

  it('names the file, the path and the problem of a bad edit, with a non-zero exit code', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pack-'));
    const file = join(dir, 'edited.yaml');
    writeFileSync(file, readFileSync(join(root, 'policies', 'barnet.yaml'), 'utf8').replace('timescale: { workingDays: 5 }', 'timescale: { workingWeeks: 1 }'));
    const result = await check(file);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${file} is not a valid policy pack`);
    expect(result.stderr).toMatch(/stages\[0\]\.timescale/);
  });
});
