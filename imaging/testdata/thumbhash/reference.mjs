// Prints the ThumbHash of each *.rgba.gz here (gzipped RGBA rows, not premultiplied, named
// NAME-WxH.rgba.gz) by the reference implementation, as vectors.json. Regenerate with:
//   npm install thumbhash@0.1.1 && node reference.mjs > vectors.json
import { readdirSync, readFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'
import { rgbaToThumbHash } from 'thumbhash'

const vectors = {}
for (const f of readdirSync('.').filter(f => f.endsWith('.rgba.gz')).sort()) {
  const [, w, h] = f.match(/-(\d+)x(\d+)\.rgba\.gz$/).map(Number)
  const rgba = gunzipSync(readFileSync(f))
  vectors[f] = Buffer.from(rgbaToThumbHash(w, h, rgba)).toString('base64')
}
console.log(JSON.stringify(vectors, null, 2))
