#!/usr/bin/env node
import { main } from './main.js';

// Set the code and let the event loop drain (streams flush, databases close) instead of process.exit().
main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`winnow: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
