//! The flow as a whole: states nothing leads to, states with no way to an end, and circles that
//! never wait for an answer.

use std::collections::{BTreeSet, HashMap};

use toml::Spanned;

use super::RawStates;
use crate::flow::load::FileCtx;
use crate::flow::model::{GiveUp, Input, State};

/// Where each state can go next.
fn edges(state: &State) -> Vec<&str> {
    let mut out: Vec<&str> = state.next.iter().map(String::as_str).collect();
    out.extend(state.branches.iter().map(|b| b.next.as_str()));
    if let Input::Choice(choices) = &state.input {
        out.extend(choices.iter().filter_map(|c| c.next.as_deref()));
    }
    if let GiveUp::GoTo(next) = &state.on_give_up {
        out.push(next);
    }
    out
}

/// States nothing leads to, states with no way to an end, and circles of states that never wait
/// for an answer.
pub(super) fn graph(
    ctx: &mut FileCtx<'_>,
    start: &str,
    states: &HashMap<String, State>,
    raw: &RawStates,
) {
    let span_of = |name: &str| raw.get(name).map(Spanned::span).unwrap_or(0..0);
    let mut reached = BTreeSet::from([start]);
    let mut todo = vec![start];
    while let Some(name) = todo.pop() {
        for next in states.get(name).map(edges).unwrap_or_default() {
            if states.contains_key(next) && reached.insert(next) {
                todo.push(next);
            }
        }
    }
    let mut names: Vec<&String> = states.keys().collect();
    names.sort();
    for name in &names {
        if !reached.contains(name.as_str()) {
            ctx.error(
                &span_of(name),
                format!("state `{name}` is never reached from the start state `{start}`"),
            );
        }
    }
    // Work back from the states that end the conversation (those with nowhere to go end it too;
    // when that is a mistake it is reported on its own).
    let mut can_end: BTreeSet<&str> = states
        .iter()
        .filter(|(_, s)| s.end || s.actions.handoff.is_some() || edges(s).is_empty())
        .map(|(n, _)| n.as_str())
        .collect();
    loop {
        let before = can_end.len();
        for (name, state) in states {
            if edges(state).iter().any(|n| can_end.contains(n)) {
                can_end.insert(name);
            }
        }
        if can_end.len() == before {
            break;
        }
    }
    for name in &names {
        if reached.contains(name.as_str()) && !can_end.contains(name.as_str()) {
            ctx.error(
                &span_of(name),
                format!("from state `{name}` no path leads to an end: it loops with no way out"),
            );
        }
    }
    // States that wait for nothing move on at once; a circle of them would never stop.
    if let Some(circle) = circle_without_waiting(states) {
        let message = format!(
            "states {} move on without waiting for an answer and come back round: it would never stop",
            circle.join(" → ")
        );
        ctx.error(&span_of(circle[0]), message);
    }
}

/// A circle among the states that wait for nothing, following every way out of each, if any:
/// the names in order, the first repeated at the end.
fn circle_without_waiting(states: &HashMap<String, State>) -> Option<Vec<&str>> {
    let waits_for_nothing = |n: &str| {
        states
            .get(n)
            .is_some_and(|s| matches!(s.input, Input::None))
    };
    let mut names: Vec<&str> = states
        .keys()
        .map(String::as_str)
        .filter(|n| waits_for_nothing(n))
        .collect();
    names.sort();
    let mut done = BTreeSet::new();
    for start in names {
        // Depth-first, keeping the current path to read the circle off it.
        let mut path: Vec<(&str, Vec<&str>)> = vec![(start, edges(&states[start]))];
        while let Some((_, todo)) = path.last_mut() {
            let Some(next) = todo.pop() else {
                let (finished, _) = path.pop().expect("the path is not empty");
                done.insert(finished);
                continue;
            };
            if !waits_for_nothing(next) || done.contains(next) {
                continue;
            }
            if let Some(at) = path.iter().position(|(n, _)| *n == next) {
                let mut circle: Vec<&str> = path[at..].iter().map(|(n, _)| *n).collect();
                circle.push(next);
                return Some(circle);
            }
            path.push((next, edges(&states[next])));
        }
    }
    None
}
