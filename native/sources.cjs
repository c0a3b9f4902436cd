// Lists the engine's C++ sources for binding.gyp, so a new op family file needs no gyp edit.
const { readdirSync } = require('node:fs');
const { join, relative } = require('node:path');

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.cpp') ? [join(dir, e.name)] : []);
}

const files = ['src', 'backends', 'binding'].flatMap((d) => walk(join(__dirname, d)));
console.log(files.map((f) => relative(__dirname, f).split('\\').join('/')).sort().join('\n'));
