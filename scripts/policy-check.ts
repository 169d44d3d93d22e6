/**
 * `npm run policy:check -- path/to/pack.yaml [more.yaml]`: validates policy packs and prints what
 * is wrong, so a partnership admin can check an edit before deploying it. Exit 0 when all are valid.
 */
import { PolicyPackError, loadPolicyPack } from '../shared/policy/load';

function run(files: string[]): number {
  if (files.length === 0) {
    console.error('usage: npm run policy:check -- path/to/pack.yaml [more.yaml ...]');
    return 2;
  }
  let failed = 0;
  for (const file of files) {
    try {
      const pack = loadPolicyPack(file);
      console.log(`${file}: valid. ${pack.name}, ${pack.policy.title} version ${pack.policy.version}; ${pack.stages.length} stages (${pack.stages.map((s) => s.id).join(', ')}); ${pack.directory.agencies.length} agencies.`);
    } catch (error) {
      failed += 1;
      if (error instanceof PolicyPackError) console.error(error.message);
      else console.error(`${file}: ${(error as Error).message}`);
    }
  }
  return failed === 0 ? 0 : 1;
}

process.exitCode = run(process.argv.slice(2));
