// tsc does not copy non-TS files: put the Lua scripts next to the compiled store.
import { cpSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
cpSync(join(root, 'src/store/lua'), join(root, 'dist/src/store/lua'), { recursive: true });
