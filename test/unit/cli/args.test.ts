import assert from 'node:assert/strict';
import { HELP, parseCliArgs } from '../../../src/cli/args.js';
import { StriderError } from '../../../src/util/StriderError.js';

describe('cli/args', () => {
  it('parses a command with repeatable --set and the contract options', () => {
    const p = parseCliArgs([
      'run',
      '--config',
      'c.yaml',
      '--set',
      'a=1',
      '-s',
      'b.c=x',
      '--out',
      'o',
      '--report',
      'r.json',
    ]);
    assert.ok(p.kind === 'command');
    assert.equal(p.args.command, 'run');
    assert.equal(p.args.config, 'c.yaml');
    assert.deepEqual(p.args.set, ['a=1', 'b.c=x']);
    assert.equal(p.args.out, 'o');
    assert.equal(p.args.report, 'r.json');
    assert.equal(p.args.help, false);
  });

  it('gives help with no command or --help, and a version with -V', () => {
    assert.deepEqual(parseCliArgs([]), { kind: 'help' });
    assert.deepEqual(parseCliArgs(['--help']), { kind: 'help' });
    assert.deepEqual(parseCliArgs(['-V']), { kind: 'version' });
    const p = parseCliArgs(['bench', '--help']);
    assert.ok(p.kind === 'command' && p.args.help);
  });

  it('rejects unknown commands, options and stray arguments with CLI_USAGE', () => {
    const usage = (argv: string[], re: RegExp): void => {
      assert.throws(
        () => parseCliArgs(argv),
        (e: unknown) => e instanceof StriderError && e.code === 'CLI_USAGE' && re.test(e.message),
      );
    };
    usage(['fly'], /unknown command "fly"; commands are: run, train, replay, bench/);
    usage(['run', '--fast'], /--fast/);
    usage(['run', 'extra'], /unexpected argument "extra"/);
    usage(['run', '--config'], /--config/);
  });

  it('has help text for every command naming the contract options', () => {
    for (const text of Object.values(HELP)) {
      for (const opt of ['--config', '--set', '--out', '--report', '--help'])
        assert.ok(text.includes(opt), opt);
    }
  });
});
