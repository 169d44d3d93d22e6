import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TemporalCliNotFound, locateTemporalCli } from '../../scripts/temporal-cli';

describe('finding the Temporal CLI', () => {
  const saved = { path: process.env.PATH, explicit: process.env.TEMPORAL_CLI_PATH };
  afterEach(() => {
    process.env.PATH = saved.path;
    if (saved.explicit === undefined) delete process.env.TEMPORAL_CLI_PATH;
    else process.env.TEMPORAL_CLI_PATH = saved.explicit;
  });

  const fakeCli = () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-'));
    const file = join(dir, 'temporal');
    writeFileSync(file, '#!/bin/sh\necho fake\n');
    chmodSync(file, 0o755);
    return { dir, file };
  };

  it('prefers an explicit TEMPORAL_CLI_PATH over everything else', () => {
    const { file } = fakeCli();
    process.env.TEMPORAL_CLI_PATH = file;
    expect(locateTemporalCli()).toEqual({ executable: { type: 'existing-path', path: file }, source: 'TEMPORAL_CLI_PATH' });
  });

  it('says exactly what to install when the explicit path is not a program', () => {
    process.env.TEMPORAL_CLI_PATH = '/nowhere/temporal';
    expect(() => locateTemporalCli()).toThrow(TemporalCliNotFound);
    expect(() => locateTemporalCli()).toThrow(/go install github.com\/temporalio\/cli\/cmd\/temporal@v1.5.1/);
  });

  it('uses a temporal found on PATH next', () => {
    delete process.env.TEMPORAL_CLI_PATH;
    const { dir, file } = fakeCli();
    process.env.PATH = `${dir}:${saved.path}`;
    expect(locateTemporalCli()).toEqual({ executable: { type: 'existing-path', path: file }, source: 'PATH' });
  });
});
