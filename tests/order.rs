//! The answer depends on what a request says, not on how it is ordered: the same request with
//! its keys in another order, or its containers and volumes listed the other way round, gets
//! the same verdict, the same refusals and the same changes (issue 11).

mod common;

use common::*;
use serde_json::{Map, Value, json};

/// Every object's keys in reverse order (serde_json keeps insertion order in this build).
fn keys_reversed(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, child) in m.iter().rev() {
                out.insert(k.clone(), keys_reversed(child));
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(keys_reversed).collect()),
        other => other.clone(),
    }
}

/// The pod spec of the request's object (pod or template), mutable.
fn spec_mut(object: &mut Value) -> Option<&mut Value> {
    for pointer in [
        "/spec/jobTemplate/spec/template/spec",
        "/spec/template/spec",
        "/spec/podTemplate/spec",
        "/spec",
    ] {
        if object
            .pointer(pointer)
            .is_some_and(|s| s.get("containers").is_some())
        {
            return object.pointer_mut(pointer);
        }
    }
    None
}

/// Containers, init containers and volumes listed the other way round.
fn lists_reversed(object: &Value) -> Value {
    let mut object = object.clone();
    if let Some(spec) = spec_mut(&mut object) {
        for list in ["containers", "initContainers", "volumes"] {
            if let Some(items) = spec.get_mut(list).and_then(Value::as_array_mut) {
                items.reverse();
            }
        }
    }
    object
}

/// A pod spec in a form list order does not change: containers and volumes by name, mounts by
/// path, variables by name.
fn canonical(object: &Value) -> Value {
    let mut object = object.clone();
    let by =
        |key: &'static str| move |a: &Value, b: &Value| a[key].to_string().cmp(&b[key].to_string());
    if let Some(spec) = spec_mut(&mut object) {
        for list in ["containers", "initContainers", "volumes"] {
            if let Some(items) = spec.get_mut(list).and_then(Value::as_array_mut) {
                items.sort_by(by("name"));
                for c in items.iter_mut() {
                    if let Some(m) = c.get_mut("volumeMounts").and_then(Value::as_array_mut) {
                        m.sort_by(by("mountPath"));
                    }
                    if let Some(e) = c.get_mut("env").and_then(Value::as_array_mut) {
                        e.sort_by(by("name"));
                    }
                }
            }
        }
    }
    object
}

/// A message's lines without list indices (`containers[1] (proxy)` → `containers (proxy)`),
/// sorted; None when the list was cut (which problems come first depends on order).
fn refusal_lines(message: &str) -> Option<Vec<String>> {
    if message.contains(" more") {
        return None;
    }
    let mut lines: Vec<String> = message
        .lines()
        .map(|l| {
            let mut out = String::new();
            let mut skipping = false;
            for ch in l.chars() {
                match ch {
                    '[' if !skipping => skipping = true,
                    ']' if skipping => skipping = false,
                    _ if skipping && ch.is_ascii_digit() => {}
                    _ if skipping => {
                        // Not an index: keep what was skipped.
                        skipping = false;
                        out.push('[');
                        out.push(ch);
                    }
                    _ => out.push(ch),
                }
            }
            out
        })
        .collect();
    lines.sort();
    Some(lines)
}

/// Each line of a refusal with its found value read as JSON where it is JSON (objects compare
/// whatever their key order).
fn found_as_json(message: &str) -> Vec<(String, Option<Value>, String)> {
    message
        .lines()
        .map(|line| match line.split_once(": found ") {
            Some((field, rest)) => {
                let (found, allowed) = rest.rsplit_once(", allowed ").unwrap_or((rest, ""));
                let value = serde_json::from_str(found).ok();
                let text = if value.is_some() {
                    String::new()
                } else {
                    found.to_string()
                };
                (format!("{field} {text}"), value, allowed.to_string())
            }
            None => (line.to_string(), None, String::new()),
        })
        .collect()
}

/// A warning names its containers in list order ("to agent, proxy"), and a long list is cut
/// after five ("… and 55 more"): the names sorted, or how many when cut.
fn uncut(warning: &str) -> String {
    match (warning.rsplit_once(" to "), warning.ends_with(" more")) {
        (Some((head, names)), true) => {
            let (listed, more) = names.rsplit_once(" and ").unwrap_or((names, "0 more"));
            let more: usize = more.trim_end_matches(" more").parse().unwrap_or(0);
            format!("{head} to {} names", listed.split(", ").count() + more)
        }
        (Some((head, names)), false) => {
            let mut names: Vec<&str> = names.split(", ").collect();
            names.sort();
            format!("{head} to {}", names.join(", "))
        }
        _ => warning.to_string(),
    }
}

#[derive(Debug, PartialEq)]
enum Answer {
    Accept(Vec<String>),
    Mutate(Value, Vec<String>),
    Reject(Option<Vec<String>>),
}

fn answer(outcome: Outcome, sorted_warnings: bool) -> Answer {
    let sort = |w: Vec<String>| {
        if sorted_warnings {
            let mut w: Vec<String> = w.iter().map(|w| uncut(w)).collect();
            w.sort();
            w
        } else {
            w
        }
    };
    match outcome {
        Outcome::Accept { warnings, .. } => Answer::Accept(sort(warnings)),
        Outcome::Mutate {
            object, warnings, ..
        } => Answer::Mutate(canonical(&object), sort(warnings)),
        Outcome::Reject { message, .. } => Answer::Reject(refusal_lines(&message)),
    }
}

#[test]
fn key_order_changes_nothing_at_all() {
    let mut compared = 0;
    for (name, request) in all_fixtures() {
        for settings in [
            json!({}),
            json!({"mode": "validate"}),
            json!({"mutateWorkloadTemplates": true}),
        ] {
            let mut reordered = keys_reversed(&request);
            reordered["object"] = keys_reversed(&request["object"]);
            let settings_reordered = keys_reversed(&settings);
            // Same verdict, same message and warnings in the same order, same object.
            let a = run(&request, settings.clone());
            let b = run(&reordered, settings_reordered);
            match (a, b) {
                (
                    Outcome::Mutate {
                        object: x,
                        warnings: wx,
                        ..
                    },
                    Outcome::Mutate {
                        object: y,
                        warnings: wy,
                        ..
                    },
                ) => {
                    assert_eq!(x, y, "{name} {settings}");
                    assert_eq!(wx, wy, "{name} {settings}");
                }
                (Outcome::Accept { warnings: wx, .. }, Outcome::Accept { warnings: wy, .. }) => {
                    assert_eq!(wx, wy, "{name} {settings}")
                }
                (Outcome::Reject { message: mx, .. }, Outcome::Reject { message: my, .. }) => {
                    // A found object is echoed as the user wrote it: compared as JSON.
                    assert_eq!(found_as_json(&mx), found_as_json(&my), "{name} {settings}")
                }
                (a, b) => panic!(
                    "{name} {settings}: {:?} became {:?}",
                    answer(a, false),
                    answer(b, false)
                ),
            }
            compared += 1;
        }
    }
    assert!(compared >= 400, "only {compared}");
}

#[test]
fn container_and_volume_order_changes_no_decision() {
    let mut compared = 0;
    for (name, request) in all_fixtures() {
        if spec_mut(&mut request["object"].clone()).is_none()
            || request["subResource"] == "ephemeralcontainers"
        {
            continue;
        }
        for settings in [
            json!({}),
            json!({"mode": "validate"}),
            json!({"mutateWorkloadTemplates": true}),
        ] {
            let mut reversed = request.clone();
            reversed["object"] = lists_reversed(&request["object"]);
            if !request["oldObject"].is_null() {
                reversed["oldObject"] = lists_reversed(&request["oldObject"]);
            }
            if reversed == request {
                continue; // one container and one volume: nothing to reorder
            }
            let a = answer(run(&request, settings.clone()), true);
            let b = answer(run(&reversed, settings.clone()), true);
            assert_eq!(a, b, "{name} {settings}");
            compared += 1;
        }
    }
    assert!(compared >= 200, "only {compared} reordered requests");
}
