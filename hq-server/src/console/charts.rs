//! A chart on a page: an Apache ECharts option built on the server from a gRPC response, carried
//! in the element's `data-chart` attribute; `console.js` only draws it. Figures stay the store's
//! decimal strings (ECharts reads numeric strings): the browser computes nothing.

use maud::{html, Markup};

/// A chart element with id `id` drawing `option`.
pub fn chart(id: &str, option: serde_json::Value) -> Markup {
    html! { div.chart id=(id) data-chart=(option.to_string()) {} }
}
