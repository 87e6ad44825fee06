// Validates the HAR document on standard input against the HAR 1.2 JSON
// Schema (har-validator); exits 1 with the schema's errors if it is not.
const validate = require('har-validator');
let input = '';
process.stdin.on('data', (c) => { input += c; });
process.stdin.on('end', () => {
  validate.har(JSON.parse(input))
    .then(() => console.log('valid HAR 1.2'))
    .catch((e) => { console.error(JSON.stringify(e.errors || String(e), null, 2)); process.exit(1); });
});
