import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isStriderError } from '../util/StriderError.js';
import { HELP, parseCliArgs, type CommonArgs } from './args.js';

/** Exit statuses: 0 ok, 1 runtime failure, 2 usage or config error, 130 interrupted. */
const USAGE_CODES = new Set([
  'CLI_USAGE',
  'CONFIG_NOT_FOUND',
  'CONFIG_YAML',
  'CONFIG_INVALID',
  'CONFIG_OVERRIDE',
]);

function version(): string {
  const pkgPath = fileURLToPath(new URL('../../package.json', import.meta.url));
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { version?: string };
  return pkg.version ?? '0.0.0';
}

async function dispatch(args: CommonArgs): Promise<number> {
  if (args.help) {
    process.stdout.write(`${HELP[args.command]}\n`);
    return 0;
  }
  switch (args.command) {
    case 'run': {
      const { runCommand } = await import('./runCommand.js');
      return runCommand(args, version());
    }
    case 'bench': {
      const { benchCommand } = await import('./benchCommand.js');
      return benchCommand(args);
    }
    case 'train': {
      const { trainCommand } = await import('./trainCommand.js');
      return trainCommand(args, version());
    }
    case 'replay': {
      const { replayCommand } = await import('./replayCommand.js');
      return replayCommand(args, version());
    }
  }
}

/** The CLI entry: parse, dispatch, and turn every error into one clear line and an exit status. */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    const parsed = parseCliArgs(argv);
    switch (parsed.kind) {
      case 'help':
        process.stdout.write(`${HELP.main}\n`);
        return 0;
      case 'version':
        process.stdout.write(`strider ${version()}\n`);
        return 0;
      case 'command':
        return await dispatch(parsed.args);
    }
  } catch (err) {
    if (isStriderError(err)) {
      process.stderr.write(`strider: ${err.code}: ${err.message}\n`);
      return USAGE_CODES.has(err.code) ? 2 : 1;
    }
    const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
    process.stderr.write(`strider: internal error (please report it): ${detail}\n`);
    return 1;
  }
}
