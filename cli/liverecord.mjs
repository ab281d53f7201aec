#!/usr/bin/env node
// Launcher of the `liverecord` CLI (package.json "bin"): registers tsx's loader in this
// process (no second node process) and runs the TypeScript entry.
import { register } from 'tsx/esm/api';

register();
await import('./entry.ts');
