#!/usr/bin/env node
// The installed entry point: the CLI is compiled to dist/ by `npm run build` (run by `prepare` on install).
import '../dist/cli/main.js';
