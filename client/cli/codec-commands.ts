import { Command } from 'commander';
import { AesGcmPayloadCodec } from '../codec/aes-gcm-codec';
import { startCodecServer } from '../codec/codec-server';
import { codecServerToken, httpUrl, nonEmpty, port } from './options';
import { UsageError } from './output';
import type { Run } from './pipeline-commands';

interface CodecServerFlags { host: string; port: number; uiOrigin: string[]; /** The token itself, read from the file by the flag's parser. */ tokenFile?: string }

/** Until SIGTERM or SIGINT; `dev up` runs one for its UI. */
export function codecServerCommand(run: Run): Command {
  return new Command('codec-server')
    .description('serve Temporal\'s codec protocol (/encode, /decode) with the payload keys, so the Temporal UI shows decoded payloads')
    .option('--host <host>', 'address to listen on', nonEmpty, '127.0.0.1')
    .option('--port <port>', 'port to listen on', port, 8234)
    .option('--ui-origin <url>', 'a UI origin allowed to call it (repeatable); default: --ui-url', (value: string, previous: string[] = []) => [...previous, httpUrl(value)])
    .option('--token-file <path>', 'file holding the token every request must carry (Authorization: Bearer <token>, or the path\'s first segment); default: FLEET_CODEC_SERVER_TOKEN', codecServerToken)
    .addHelpText('after', '\nThen: temporal server start-dev --ui-codec-endpoint http://127.0.0.1:8234/<token>   (or the UI\'s Codec Server setting)')
    .action((flags: CodecServerFlags) => run(async (context) => {
      const token = (flags.tokenFile ?? process.env.FLEET_CODEC_SERVER_TOKEN ?? '').trim();
      if (token.length < 16) throw new UsageError('the codec server needs a token of at least 16 characters: --token-file or FLEET_CODEC_SERVER_TOKEN');
      const keys = context.codecKeys();
      const server = await startCodecServer({
        codec: new AesGcmPayloadCodec(keys), token, host: flags.host, port: flags.port, allowedOrigins: flags.uiOrigin ?? [context.flags.uiUrl],
      });
      context.out.progress(`codec server listening on ${server.url} (current key ${keys.current.id})`);
      await new Promise<void>((resolve) => {
        process.once('SIGTERM', resolve);
        process.once('SIGINT', resolve);
      });
      await server.close();
    }));
}
