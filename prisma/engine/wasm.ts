// Loads Prisma's schema engine compiled to WebAssembly (@prisma/schema-engine-wasm), once per
// process. Node 20 cannot `import` the package's `.wasm` entry (that needs
// --experimental-wasm-modules), so we import the JS glue, instantiate the module ourselves with
// the glue as its import object, and run wasm-bindgen's start function.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as glue from '@prisma/schema-engine-wasm/schema_engine_bg';

export type SchemaEngineClass = typeof glue.SchemaEngine;
export type SchemaEngineInstance = glue.SchemaEngine;

export interface LoadedSchemaEngine {
  SchemaEngine: SchemaEngineClass;
  version: string;
  /** Milliseconds spent compiling and starting the module (0 when already loaded). */
  loadMs: number;
}

// Kept on globalThis, not in module scope: a test runner may evaluate this file more than once in
// one process while the glue module (a Node-cached dependency) keeps pointing at the first
// WebAssembly instance. Starting a second instance under the same glue would corrupt its caches.
const GLOBAL_KEY = Symbol.for('deploy-engine.prisma.schema-engine-wasm');
type GlobalSlot = { [GLOBAL_KEY]?: Promise<LoadedSchemaEngine> };

export function loadSchemaEngine(): Promise<LoadedSchemaEngine> {
  const slot = globalThis as GlobalSlot;
  slot[GLOBAL_KEY] ??= instantiate().catch((error: unknown) => {
    delete slot[GLOBAL_KEY];
    throw error;
  });
  return slot[GLOBAL_KEY];
}

async function instantiate(): Promise<LoadedSchemaEngine> {
  const started = performance.now();
  const require = createRequire(import.meta.url);
  const gluePath = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg');
  const wasmPath = path.join(path.dirname(gluePath), 'schema_engine_bg.wasm');
  const bytes = await readFile(wasmPath);

  // The engine arms a 10 s `setTimeout` around its advisory-lock query and never clears it, which
  // keeps the event loop alive for 10 s after every command. Unref the engine's timers: a pending
  // lock query still holds the process open through its socket, so nothing is cut short.
  const imports: Record<string, unknown> = { ...glue };
  for (const name of Object.keys(imports)) {
    if (name.startsWith('__wbg_setTimeout_')) {
      imports[name] = (callback: () => void, ms: number) => {
        const timer = setTimeout(callback, ms >>> 0);
        timer.unref();
        return timer;
      };
    }
  }

  const { instance } = await WebAssembly.instantiate(bytes, {
    './schema_engine_bg.js': imports as WebAssembly.ModuleImports,
  });
  const exports = instance.exports as WebAssembly.Exports & { __wbindgen_start(): void };
  glue.__wbg_set_wasm(exports);
  exports.__wbindgen_start();
  return { SchemaEngine: glue.SchemaEngine, version: glue.version(), loadMs: performance.now() - started };
}
