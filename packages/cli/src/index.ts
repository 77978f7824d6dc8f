export { EXIT, exitCodeFor } from './exit-codes.js';
export { buildProgram, main } from './main.js';
export { CONFIG_TEMPLATE } from './template.js';
