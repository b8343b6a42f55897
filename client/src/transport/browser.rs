//! Requests sent with the browser's `fetch` (through gloo-net), bounded by an
//! `AbortController` that a timer fires when the timeout is up.

use std::cell::Cell;
use std::rc::Rc;

use gloo_net::http::{Method, RequestBuilder};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

use super::{retry_after, Answer, Request};
use crate::operations::Verb;
use crate::Error;

/// The browser holds the connections: nothing to keep here.
#[derive(Debug, Clone)]
pub(crate) struct Transport;

impl Transport {
    pub(crate) fn new() -> Result<Self, Error> {
        Ok(Transport)
    }

    pub(crate) async fn execute(&self, request: &Request) -> Result<Answer, Error> {
        let controller = web_sys::AbortController::new().map_err(|e| js_error("cannot set up fetch", &e))?;
        let timer = Timer::start(request, controller.clone());
        let answer = fetch(request, &controller.signal()).await;
        match answer {
            Err(_) if timer.fired() => Err(Error::Timeout),
            other => other,
        }
    }
}

async fn fetch(request: &Request, signal: &web_sys::AbortSignal) -> Result<Answer, Error> {
    let mut builder = RequestBuilder::new(&request.url).method(method(request.verb)).abort_signal(Some(signal));
    for (name, value) in &request.headers {
        builder = builder.header(name, value);
    }
    let sent = match &request.body {
        Some((content_type, body)) => {
            builder
                .header("Content-Type", content_type)
                .body(JsValue::from_str(body))
                .map_err(|e| Error::InvalidRequest(e.to_string()))?
                .send()
                .await
        }
        None => builder.send().await,
    };
    let response = sent.map_err(|e| Error::Transport(e.to_string()))?;
    let status = response.status();
    let retry_after = response.headers().get("retry-after").as_deref().and_then(retry_after);
    let body = match response.binary().await {
        Ok(body) => body,
        // An error status is an answer even when its body breaks off.
        Err(_) if status >= 400 => Vec::new(),
        Err(e) => return Err(Error::Transport(e.to_string())),
    };
    Ok(Answer { status, retry_after, body })
}

fn method(verb: Verb) -> Method {
    match verb {
        Verb::Get => Method::GET,
        Verb::Post => Method::POST,
        Verb::Put => Method::PUT,
        Verb::Patch => Method::PATCH,
        Verb::Delete => Method::DELETE,
    }
}

fn js_error(what: &str, e: &JsValue) -> Error {
    Error::InvalidRequest(format!("{what}: {}", e.as_string().unwrap_or_else(|| format!("{e:?}"))))
}

/// Aborts the request when its timeout is up, unless dropped first (the
/// answer was read): `setTimeout` of the page or the worker.
struct Timer {
    fired: Rc<Cell<bool>>,
    id: Option<JsValue>,
    // Kept alive while the timer may fire.
    _callback: Closure<dyn FnMut()>,
}

impl Timer {
    fn start(request: &Request, controller: web_sys::AbortController) -> Self {
        let fired = Rc::new(Cell::new(false));
        let flag = fired.clone();
        let callback = Closure::<dyn FnMut()>::new(move || {
            flag.set(true);
            controller.abort();
        });
        let millis = i32::try_from(request.timeout.as_millis()).unwrap_or(i32::MAX);
        let id = global_function("setTimeout")
            .and_then(|f| f.call2(&js_sys::global(), callback.as_ref(), &JsValue::from(millis)).ok());
        Timer { fired, id, _callback: callback }
    }

    fn fired(&self) -> bool {
        self.fired.get()
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        if let (Some(id), Some(clear)) = (&self.id, global_function("clearTimeout")) {
            let _ = clear.call1(&js_sys::global(), id);
        }
    }
}

fn global_function(name: &str) -> Option<js_sys::Function> {
    js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str(name)).ok()?.dyn_into().ok()
}
