import { build } from 'esbuild';
import { join } from 'node:path';

const ENTRY = join(__dirname, '../../src/dashboard/client/main.ts');

/**
 * Bundles the dashboard's browser script into `outdir/app.js` with esbuild: minified, no source map, for the
 * browsers of the last few years. `npm run build` puts it in dist/src/dashboard/assets (shipped in the image);
 * the browser tests build it into a temporary directory.
 */
export async function buildDashboardClient(outdir: string): Promise<void> {
  await build({
    entryPoints: [ENTRY],
    outfile: join(outdir, 'app.js'),
    bundle: true,
    minify: true,
    format: 'iife',
    target: ['es2020'],
    platform: 'browser',
    legalComments: 'none',
    logLevel: 'warning',
  });
}

if (require.main === module) {
  const outdir = process.argv[2];
  if (outdir === undefined) {
    process.stderr.write('usage: node --import tsx tools/dashboard/build.ts <outdir>\n');
    process.exit(2);
  }
  buildDashboardClient(outdir).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
