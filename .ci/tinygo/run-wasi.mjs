// Runs a TinyGo wasip1 test binary under Node's WASI with the current directory preopened, so
// that tests can read their testdata/ (TinyGo runs the emulator in the package directory).
import { readFile } from 'node:fs/promises';
import { WASI } from 'node:wasi';
import { argv, cwd } from 'node:process';
const wasi = new WASI({ version: 'preview1', args: argv.slice(2), env: {}, returnOnExit: true, preopens: { '.': cwd(), [cwd()]: cwd() } });
const mod = await WebAssembly.compile(await readFile(argv[2]));
process.exitCode = wasi.start(await WebAssembly.instantiate(mod, wasi.getImportObject()));
