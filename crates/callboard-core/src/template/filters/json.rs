//! `dump` and cookiecutter's `jsonify`: `JSON.stringify(value, null,
//! spaces)`. serde_json writes the JSON; only numbers are formatted the
//! JavaScript way (`1e+21`, not `1e21`) so output matches byte for byte.

use std::io;

use serde::Serialize;
use serde_json::ser::{CompactFormatter, Formatter, PrettyFormatter};

use super::super::value::{js_number, Val};

/// `JSON.stringify(value, null, spaces)`; `None` for undefined.
pub fn dump(v: &Val, spaces: &Val) -> Option<String> {
    let indent = match spaces {
        Val::Num(n) if *n >= 1.0 => " ".repeat((*n as usize).min(10)),
        Val::Str(s) => s.chars().take(10).collect(),
        _ => String::new(),
    };
    // `to_json` already drops undefined members and nulls undefined items.
    let json = v.to_json()?;
    let mut out = Vec::new();
    let written = if indent.is_empty() {
        let mut ser = serde_json::Serializer::with_formatter(&mut out, JsNumbers(CompactFormatter));
        json.serialize(&mut ser)
    } else {
        let pretty = PrettyFormatter::with_indent(indent.as_bytes());
        let mut ser = serde_json::Serializer::with_formatter(&mut out, JsNumbers(pretty));
        json.serialize(&mut ser)
    };
    // Writing a `Value` into a Vec cannot fail.
    written.ok()?;
    String::from_utf8(out).ok()
}

/// A serde_json formatter that writes floats as JavaScript's
/// `Number.prototype.toString` does and leaves the rest to `F`.
struct JsNumbers<F>(F);

impl<F: Formatter> Formatter for JsNumbers<F> {
    fn write_f64<W: ?Sized + io::Write>(&mut self, writer: &mut W, value: f64) -> io::Result<()> {
        writer.write_all(js_number(value).as_bytes())
    }

    fn write_f32<W: ?Sized + io::Write>(&mut self, writer: &mut W, value: f32) -> io::Result<()> {
        self.write_f64(writer, f64::from(value))
    }

    fn begin_array<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.begin_array(writer)
    }

    fn end_array<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_array(writer)
    }

    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_array_value(writer, first)
    }

    fn end_array_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_array_value(writer)
    }

    fn begin_object<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.begin_object(writer)
    }

    fn end_object<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_object(writer)
    }

    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_object_key(writer, first)
    }

    fn end_object_key<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_object_key(writer)
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.begin_object_value(writer)
    }

    fn end_object_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_object_value(writer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn val(v: serde_json::Value) -> Val {
        Val::from(v)
    }

    #[test]
    fn compact_and_indented_output_match_json_stringify() {
        let v = val(serde_json::json!({"a": [1, "x\"y\\z\n\u{1}"], "b": {}, "c": []}));
        assert_eq!(
            dump(&v, &Val::Undefined).unwrap(),
            r#"{"a":[1,"x\"y\\z\n\u0001"],"b":{},"c":[]}"#
        );
        assert_eq!(
            dump(&v, &Val::Num(2.0)).unwrap(),
            "{\n  \"a\": [\n    1,\n    \"x\\\"y\\\\z\\n\\u0001\"\n  ],\n  \"b\": {},\n  \"c\": []\n}"
        );
        assert_eq!(
            dump(&val(serde_json::json!([1])), &Val::from("\t")).unwrap(),
            "[\n\t1\n]"
        );
    }

    #[test]
    fn numbers_are_written_as_javascript_writes_them() {
        let nums = Val::Array(vec![
            Val::Num(0.5),
            Val::Num(-0.0),
            Val::Num(1e21),
            Val::Num(1.5e-7),
            Val::Num(1e16),
            Val::Num(f64::NAN),
            Val::Num(f64::INFINITY),
        ]);
        assert_eq!(
            dump(&nums, &Val::Undefined).unwrap(),
            "[0.5,0,1e+21,1.5e-7,10000000000000000,null,null]"
        );
    }

    #[test]
    fn undefined_is_dropped_from_objects_and_null_in_arrays() {
        let mut o = indexmap::IndexMap::new();
        o.insert("gone".to_string(), Val::Undefined);
        o.insert("kept".to_string(), Val::Null);
        let v = Val::Array(vec![Val::Undefined, Val::Object(o)]);
        assert_eq!(
            dump(&v, &Val::Undefined).unwrap(),
            r#"[null,{"kept":null}]"#
        );
        assert_eq!(dump(&Val::Undefined, &Val::Undefined), None);
    }
}
