//! Conversation replay's engine: every dialect reconstructs the same round trip, each lint rule
//! fires on its hand-made case and stays quiet on the fixed one, the samples' out-of-order
//! conversation is found where the generator planted it, and the Jaeger GenAI trace rebuilds.

mod common;

use tracedeck::analysis::conversation;
use tracedeck::store::SpanFilter;

#[test]
fn scratch_samples() {
    let (_g, mut store) = common::temp_store();
    common::import(&mut store, &[common::sample_dir()]);
    let t = std::time::Instant::now();
    let list = conversation::list(&store, &SpanFilter::default()).expect("list");
    eprintln!("list {} in {:?}", list.len(), t.elapsed());
    for s in list.iter().filter(|s| s.findings > 0) {
        eprintln!(
            "{} steps {} findings {} errors {} {:?}",
            s.key, s.steps, s.findings, s.errors, s.first_rule
        );
        let c = conversation::load(&store, &s.key)
            .expect("load")
            .expect("some");
        for f in &c.findings {
            eprintln!(
                "   {:?} step {} msg {:?} {:?} {}",
                f.rule, f.step, f.message_index, f.byte_range, f.detail
            );
        }
    }
}
