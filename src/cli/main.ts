#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { CliError } from './cli-error.js';
import { ApiClient } from './client.js';
import { configPath, saveCredentials } from './config-file.js';
import { registerFeaturesCommands } from './features-commands.js';
import { registerRegistryCommands } from './registry-commands.js';
import { registerServingCommands } from './serving-commands.js';
import { registerRolloutCommands } from './rollout-commands.js';

/** `modelgate`: the registry, traffic and monitor from a terminal. */
const program = new Command('modelgate')
  .description('Modelgate from a terminal: models, versions, aliases, traffic, rollback, rollouts, drift, performance, alerts')
  .option('--url <url>', 'service URL (else MODELGATE_URL, else the login config)')
  .option('--api-key <key>', 'API key (else MODELGATE_API_KEY, else the login config)')
  .option('--json', 'print the service answers as JSON')
  .showHelpAfterError()
  .exitOverride();

// login takes the global --url and --api-key (a second pair on the subcommand would never be reached).
program
  .command('login')
  .description(`save --url and --api-key to ${configPath()} (mode 0600)`)
  .option('--no-verify', 'save without checking the key against the service')
  .action(async (_o: unknown, cmd: Command) => {
    const o = cmd.optsWithGlobals<{ url?: string; apiKey?: string; verify: boolean; json?: boolean }>();
    if (!o.url || !o.apiKey) throw new CliError('INVALID_ARGUMENT', 'give --url URL and --api-key KEY, e.g. modelgate login --url http://localhost:8080 --api-key mgk_…');
    const creds = { url: o.url.replace(/\/+$/, ''), apiKey: o.apiKey };
    if (o.verify) await new ApiClient(creds).get('/api/v1/models', { limit: 1 });
    const file = saveCredentials(creds);
    process.stdout.write(o.json ? `${JSON.stringify({ url: creds.url, config: file })}\n` : `logged in to ${creds.url}; saved to ${file}\n`);
  });

registerRegistryCommands(program);
registerServingCommands(program);
registerFeaturesCommands(program);
registerRolloutCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // Help and version exit 0; usage errors were already printed by commander.
    process.exitCode = err.exitCode === 0 ? 0 : 2;
  } else if (err instanceof CliError) {
    process.stderr.write(`${err.code}: ${err.message}\n`);
    process.exitCode = err.exitCode;
  } else {
    process.stderr.write(`INTERNAL: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}
