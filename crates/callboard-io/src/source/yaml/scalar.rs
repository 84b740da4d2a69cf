//! Scalars resolved by the YAML 1.2 core schema, as the `yaml` package
//! resolves them: null, booleans, integers (decimal, `0x`, `0o`) and
//! floats for plain scalars; quoted scalars always strings; `!!str`-style
//! core tags honoured.

use serde_json::{Number, Value};
use yaml_rust2::parser::Tag;
use yaml_rust2::scanner::TScalarStyle;

pub(super) const CORE_TAG: &str = "tag:yaml.org,2002:";

pub(super) fn scalar_value(text: String, style: TScalarStyle, tag: Option<&Tag>) -> Value {
    match tag {
        Some(tag) if tag.handle == CORE_TAG => match tag.suffix.as_str() {
            "null" => Value::Null,
            "bool" => parse_bool(&text).map_or(Value::String(text), Value::Bool),
            "int" => parse_int(&text).unwrap_or(Value::String(text)),
            "float" => parse_float(&text)
                .or_else(|| parse_int(&text))
                .unwrap_or(Value::String(text)),
            _ => Value::String(text),
        },
        // Local or unknown tags: keep the text as written.
        Some(_) => Value::String(text),
        None if style == TScalarStyle::Plain => resolve_plain(text),
        None => Value::String(text),
    }
}

/// The YAML 1.2 core schema for untagged plain scalars.
pub(super) fn resolve_plain(text: String) -> Value {
    if matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL") {
        return Value::Null;
    }
    if let Some(b) = parse_bool(&text) {
        return Value::Bool(b);
    }
    if let Some(n) = parse_int(&text) {
        return n;
    }
    if let Some(n) = parse_float(&text) {
        return n;
    }
    Value::String(text)
}

pub(super) fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

/// `[-+]?[0-9]+`, `0o[0-7]+`, `0x[0-9a-fA-F]+`. Integers too big for 64 bits
/// become floats, as in JavaScript.
pub(super) fn parse_int(s: &str) -> Option<Value> {
    if let Some(oct) = s.strip_prefix("0o") {
        return radix_int(oct, 8);
    }
    if let Some(hex) = s.strip_prefix("0x") {
        return radix_int(hex, 16);
    }
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if let Ok(i) = s.parse::<i64>() {
        return Some(Value::from(i));
    }
    if let Ok(u) = s.trim_start_matches('+').parse::<u64>() {
        return Some(Value::from(u));
    }
    s.parse::<f64>()
        .ok()
        .and_then(Number::from_f64)
        .map(Value::Number)
}

pub(super) fn radix_int(digits: &str, radix: u32) -> Option<Value> {
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    if let Ok(u) = u64::from_str_radix(digits, radix) {
        return Some(Value::from(u));
    }
    // Too big for u64: approximate as a float, digit by digit.
    let f = digits
        .chars()
        .filter_map(|c| c.to_digit(radix))
        .fold(0f64, |acc, d| acc * f64::from(radix) + f64::from(d));
    Number::from_f64(f).map(Value::Number)
}

/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`. `.inf` and `.nan`
/// have no JSON number, so they stay strings (the caller falls through).
pub(super) fn parse_float(s: &str) -> Option<Value> {
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int_part, frac_part) = match mantissa.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    let all_digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match frac_part {
        // `.5`
        Some(f) if int_part.is_empty() => !f.is_empty() && all_digits(f),
        // `1.` and `1.5`
        Some(f) => !int_part.is_empty() && all_digits(int_part) && all_digits(f),
        None => !int_part.is_empty() && all_digits(int_part),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let d = e.strip_prefix(['-', '+']).unwrap_or(e);
        !d.is_empty() && all_digits(d)
    });
    if !mantissa_ok || !exponent_ok {
        return None;
    }
    let f: f64 = s.parse().ok()?;
    Number::from_f64(f).map(Value::Number)
}

#[cfg(test)]
mod tests {
    use super::super::tests::one;
    use serde_json::json;

    #[test]
    fn core_schema_scalars() {
        let d = one(
            "a: ~\nb: null\nc:\nd: true\ne: False\nf: 12\ng: -3\nh: 0x1F\ni: 0o17\nj: 1.5\nk: .5\nl: 1e3\n\
             m: .inf\nn: .nan\no: '12'\np: \"true\"\nq: yes\nr: 0755\ns: 99999999999999999999\nt: 1.0.0\nu: +7\n",
        );
        assert_eq!(
            d.value,
            json!({"a": null, "b": null, "c": null, "d": true, "e": false, "f": 12, "g": -3, "h": 31,
                   "i": 15, "j": 1.5, "k": 0.5, "l": 1000.0, "m": ".inf", "n": ".nan", "o": "12",
                   "p": "true", "q": "yes", "r": 755, "s": 1e20, "t": "1.0.0", "u": 7})
        );
    }

    #[test]
    fn tags_are_honoured() {
        let d = one("a: !!str 12\nb: !!int '7'\nc: !!bool 'true'\nd: !custom 5\ne: !!null ''\nf: !!float 2\n");
        assert_eq!(
            d.value,
            json!({"a": "12", "b": 7, "c": true, "d": "5", "e": null, "f": 2.0})
        );
    }
}
