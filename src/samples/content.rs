//! What the sample support agent talks about: user questions and follow-ups, assistant replies,
//! tool arguments and results, structured (JSON) outputs, and the GenAI message JSON
//! (`gen_ai.input.messages` / `gen_ai.output.messages` parts form).

use serde_json::{Value, json};

use super::rng::Gen;

/// What a conversation is about; decides the questions and the tools used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Topic {
    Billing,
    Order,
    HowTo,
    Plan,
}

impl Topic {
    pub(crate) fn draw(g: &mut Gen) -> Self {
        match g.weighted(&[0.35, 0.3, 0.25, 0.1]) {
            0 => Self::Billing,
            1 => Self::Order,
            2 => Self::HowTo,
            _ => Self::Plan,
        }
    }

    pub(crate) fn intent(self) -> &'static str {
        match self {
            Self::Billing => "billing_dispute",
            Self::Order => "order_status",
            Self::HowTo => "how_to",
            Self::Plan => "plan_change",
        }
    }

    /// Tools the agent may call for this topic.
    pub(crate) fn tools(self) -> &'static [&'static str] {
        match self {
            Self::Billing => &["get_invoice", "refund_payment", "get_invoice"],
            Self::Order => &["lookup_order", "lookup_order", "search_kb"],
            Self::HowTo => &["search_kb"],
            Self::Plan => &["search_kb", "get_invoice"],
        }
    }
}

/// Per-conversation facts the texts refer to.
#[derive(Clone, Debug)]
pub(crate) struct Facts {
    pub(crate) topic: Topic,
    pub(crate) invoice: String,
    pub(crate) order: String,
    pub(crate) amount: f64,
    pub(crate) howto: &'static str,
}

impl Facts {
    pub(crate) fn draw(g: &mut Gen, topic: Topic) -> Self {
        let cents = g.range(900, 25_000);
        Self {
            topic,
            invoice: format!("INV-{}", g.range(10_000, 99_999)),
            order: format!("ORD-{}", g.range(100_000, 999_999)),
            amount: cents as f64 / 100.0,
            howto: *g.pick(&[
                "reset my password",
                "enable two-factor authentication",
                "export my data",
                "add a teammate",
                "change my billing email",
            ]),
        }
    }
}

pub(crate) fn first_question(g: &mut Gen, f: &Facts) -> String {
    match f.topic {
        Topic::Billing => match g.between(0, 2) {
            0 => format!(
                "I was charged twice for {} (${:.2}). Can you refund the duplicate?",
                f.invoice, f.amount
            ),
            1 => format!(
                "Why is {} higher than last month? I see ${:.2}.",
                f.invoice, f.amount
            ),
            _ => format!("Please refund {}, I cancelled before renewal.", f.invoice),
        },
        Topic::Order => format!("Where is my order {}? It said 2 days a week ago.", f.order),
        Topic::HowTo => format!("How do I {}?", f.howto),
        Topic::Plan => "Can I switch to the annual plan and keep my discount?".to_owned(),
    }
}

pub(crate) fn follow_up(g: &mut Gen, f: &Facts) -> String {
    let pool: &[&str] = match f.topic {
        Topic::Billing => &[
            "Yes, please go ahead with the refund.",
            "How long until it shows on my card?",
            "Can you send me the corrected invoice?",
            "Was the tax computed correctly?",
        ],
        Topic::Order => &[
            "Can you ship it express instead?",
            "Which carrier is it with?",
            "Can I change the delivery address?",
            "OK, and if it does not arrive by Friday?",
        ],
        Topic::HowTo => &[
            "That did not work, the link expired.",
            "Is there a way to do it from the mobile app?",
            "Does this also apply to my team members?",
            "Thanks. Where do I find the audit log?",
        ],
        Topic::Plan => &[
            "What happens to my unused monthly credit?",
            "Is the price locked for the whole year?",
            "OK, do it from the next billing date.",
        ],
    };
    (*g.pick(pool)).to_owned()
}

pub(crate) fn answer(g: &mut Gen, f: &Facts) -> String {
    match f.topic {
        Topic::Billing => match g.between(0, 2) {
            0 => format!(
                "I found two charges of ${:.2} for {}. I have refunded the duplicate; it takes 5-10 business days to appear.",
                f.amount, f.invoice
            ),
            1 => format!(
                "{} includes a prorated seat added on the 14th, which explains the difference.",
                f.invoice
            ),
            _ => "The corrected invoice is on its way to your billing email.".to_owned(),
        },
        Topic::Order => format!(
            "Order {} left our warehouse yesterday and is with UPS, expected Tuesday.",
            f.order
        ),
        Topic::HowTo => format!(
            "To {}, open Settings > Security and follow the steps; the help article has screenshots.",
            f.howto
        ),
        Topic::Plan => {
            "Yes: the annual plan keeps your 15% discount and starts at your next billing date."
                .to_owned()
        }
    }
}

pub(crate) fn tool_args(name: &str, f: &Facts) -> Value {
    match name {
        "get_invoice" => json!({"invoice_id": f.invoice}),
        "refund_payment" => {
            json!({"invoice_id": f.invoice, "amount": f.amount, "reason": "duplicate_charge"})
        }
        "lookup_order" => json!({"order_id": f.order}),
        _ => json!({"query": f.howto, "top_k": 3}),
    }
}

pub(crate) fn tool_result(g: &mut Gen, name: &str, f: &Facts) -> Value {
    match name {
        "get_invoice" => {
            json!({"invoice_id": f.invoice, "status": "paid", "charges": [f.amount, f.amount]})
        }
        "refund_payment" => {
            json!({"refund_id": format!("re_{}", g.base62(14)), "status": "pending"})
        }
        "lookup_order" => json!({"order_id": f.order, "status": "in_transit", "eta": "2026-11-24"}),
        _ => {
            json!([{"doc": format!("kb-{}", g.range(100, 999)), "title": format!("How to {}", f.howto)}])
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Message JSON (OTel GenAI parts form)

pub(crate) fn user(text: &str) -> Value {
    json!({"role": "user", "parts": [{"type": "text", "content": text}]})
}

pub(crate) fn assistant_text(text: &str) -> Value {
    json!({"role": "assistant", "parts": [{"type": "text", "content": text}]})
}

/// A tool call part.
pub(crate) fn tool_call_part(id: &str, name: &str, args: &Value) -> Value {
    json!({"type": "tool_call", "id": id, "name": name, "arguments": args})
}

pub(crate) fn tool_response_part(id: &str, response: &Value) -> Value {
    json!({"type": "tool_call_response", "id": id, "response": response})
}

pub(crate) fn assistant_parts(parts: Vec<Value>) -> Value {
    json!({"role": "assistant", "parts": parts})
}

pub(crate) fn tool_message(id: &str, response: &Value) -> Value {
    json!({"role": "tool", "parts": [tool_response_part(id, response)]})
}

/// An output message: the input form plus `finish_reason`.
pub(crate) fn output(mut msg: Value, finish_reason: &str) -> Value {
    if let Some(obj) = msg.as_object_mut() {
        obj.insert("finish_reason".into(), json!(finish_reason));
    }
    msg
}

pub(crate) const AGENT_SYSTEM: &str =
    "You are Ada, Acme Cloud's support agent. Use the tools; never refund over $500.";
pub(crate) const TRIAGE_SYSTEM: &str =
    "Classify the request. Reply with JSON only: {intent, priority, order_id, invoice_id}.";
pub(crate) const SUMMARY_SYSTEM: &str =
    "Summarize the conversation. Reply with JSON only: {summary, resolved, sentiment}.";

/// How a declared-JSON output came out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum JsonOutcome {
    Valid,
    /// Cut at the token limit (`finish_reason` length).
    Truncated,
    /// Valid JSON followed by prose.
    TrailingProse,
    /// A Python-style dict with single quotes.
    SingleQuotes,
}

impl JsonOutcome {
    pub(crate) fn draw_invalid(g: &mut Gen) -> Self {
        match g.between(0, 2) {
            0 => Self::Truncated,
            1 => Self::TrailingProse,
            _ => Self::SingleQuotes,
        }
    }

    pub(crate) fn is_valid(self) -> bool {
        self == Self::Valid
    }
}

/// The text of a structured output, and the OTel finish reason.
pub(crate) fn structured_text(value: &Value, outcome: JsonOutcome) -> (String, &'static str) {
    let text = value.to_string();
    match outcome {
        JsonOutcome::Valid => (text, "stop"),
        JsonOutcome::Truncated => {
            let cut = text.len() * 2 / 3;
            let cut = (0..=cut)
                .rev()
                .find(|i| text.is_char_boundary(*i))
                .unwrap_or(0);
            (text[..cut].to_owned(), "length")
        }
        JsonOutcome::TrailingProse => (
            format!("{text}\n\nLet me know if you need anything else!"),
            "stop",
        ),
        JsonOutcome::SingleQuotes => (
            text.replace('"', "'")
                .replace("true", "True")
                .replace("null", "None"),
            "stop",
        ),
    }
}

pub(crate) fn triage_json(g: &mut Gen, f: &Facts) -> Value {
    let priority = *g.pick(&["low", "normal", "normal", "high"]);
    json!({
        "intent": f.topic.intent(),
        "priority": priority,
        "order_id": if f.topic == Topic::Order { json!(f.order) } else { Value::Null },
        "invoice_id": if f.topic == Topic::Billing { json!(f.invoice) } else { Value::Null },
    })
}

pub(crate) fn summary_json(g: &mut Gen, f: &Facts) -> Value {
    json!({
        "summary": format!("Customer asked about {}; agent resolved it with {} tool calls.", f.topic.intent(), g.between(1, 4)),
        "resolved": g.chance(0.85),
        "sentiment": *g.pick(&["negative", "neutral", "positive", "positive"]),
    })
}

/// A short piece of text sized roughly like `tokens` tokens (for token estimates).
pub(crate) fn estimate_tokens(chars: usize) -> i64 {
    (chars / 4) as i64 + 3
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_structured_outputs_do_not_parse() {
        let v = json!({"intent": "refund", "ok": true, "id": null});
        for o in [
            JsonOutcome::Truncated,
            JsonOutcome::TrailingProse,
            JsonOutcome::SingleQuotes,
        ] {
            let (text, _) = structured_text(&v, o);
            assert!(
                serde_json::from_str::<Value>(&text).is_err(),
                "{o:?}: {text}"
            );
        }
        let (text, fr) = structured_text(&v, JsonOutcome::Valid);
        assert_eq!(fr, "stop");
        assert!(serde_json::from_str::<Value>(&text).is_ok());
    }
}
