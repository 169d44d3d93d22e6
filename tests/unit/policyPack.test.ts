import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PolicyPackError, loadPolicyRegistry, parsePolicyPack } from '../../shared/policy/load';

const bromleyText = () => readFileSync(join(__dirname, '..', '..', 'policies', 'bromley.yaml'), 'utf8');

describe('policy packs', () => {
  it('loads every pack in policies/ with its version and ordered stages', () => {
    const packs = loadPolicyRegistry();
    const bromley = packs.get('bromley')!;
    expect(bromley.policy).toMatchObject({ version: '1.5', ratified: '2019-12-17' });
    expect(bromley.stages.map((s) => s.id)).toEqual(['discuss', 'line-managers', 'senior-managers', 'board-members', 'chair']);
    expect(bromley.stages[0].timescale).toEqual({ workingDays: 5 });
  });

  it('refuses a bad pack naming the file, the path inside it and the problem', () => {
    const broken = bromleyText()
      .replace('timescale: { workingDays: 5 }', 'timescale: { workingDays: -1 }')
      .replace('email: bscp.chair@example.org', 'email: not-an-address');
    let error: PolicyPackError | undefined;
    try {
      parsePolicyPack(broken, 'policies/broken.yaml');
    } catch (e) {
      error = e as PolicyPackError;
    }
    expect(error).toBeInstanceOf(PolicyPackError);
    expect(error!.file).toBe('policies/broken.yaml');
    const paths = error!.problems.map((p) => p.path);
    expect(paths).toContain('stages[0].timescale.workingDays');
    expect(paths).toContain('directory.partnership.roles.partnershipChair[0].email');
    expect(error!.message).toContain('policies/broken.yaml');
  });

  it('refuses a partnership role that nobody in the directory holds', () => {
    const broken = bromleyText().replace('role: partnershipChair, of: partnership', 'role: panelConvenor, of: partnership');
    expect(() => parsePolicyPack(broken, 'x.yaml')).toThrow(/stages\[4\]\.participants\[0\]\.role: nobody in directory.partnership.roles holds "panelConvenor"/);
  });

  it('refuses text that is not YAML', () => {
    expect(() => parsePolicyPack('stages: [unclosed', 'bad.yaml')).toThrow(/bad.yaml is not a valid policy pack/);
  });
});
