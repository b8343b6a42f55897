// Starts the web app. A file rather than an inline script, so the server's
// Content-Security-Policy can allow scripts from 'self' only.
import init from '/tocsin_web.js';

init({ module_or_path: '/tocsin_web_bg.wasm' });
