// Part of `npm run build`: the dashboard is plain ES modules and CSS (no bundler), copied next to the compiled
// static-file module so dist/src/http/static.js finds it at ./dashboard/.
import { cpSync, rmSync } from 'node:fs';

rmSync('dist/src/http/dashboard', { recursive: true, force: true });
cpSync('src/http/dashboard', 'dist/src/http/dashboard', { recursive: true });
