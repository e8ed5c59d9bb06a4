#pragma once
// JSON for Values: every CLI verb prints its figures as one JSON object with --json (to_json), and options
// arrive as JSON text (parse_json).
//
//   to_json(Dict{{"success_rate", 0.5}, {"returns", Array::from({1.0f, 2.0f})}})
//     == R"({"returns":[1.0,2.0],"success_rate":0.5})"
//
// Writing: dicts as objects (keys in sorted order), lists and arrays as (nested) lists, 0-d arrays as
// numbers, bool arrays as true/false, NaN and infinities as null (JSON has no spelling for them). Floats keep
// a decimal point ("1.0") so that parsing gives a float back; float32 elements print as their shortest
// float32 text (0.1f as 0.1). Strings are UTF-8 with JSON escapes.
//
// Parsing: objects become Dicts, arrays Lists, integers without fraction or exponent int (float when they
// overflow int64), other numbers float, null none. Errors throw InvalidArgument naming line and column.

#include <string>
#include <string_view>

#include "a2w/env/value.h"

namespace a2w::env {

// pretty: two-space indentation, one key per line; arrays stay on one line per innermost dimension.
std::string to_json(const Value& v, bool pretty = false);
std::string to_json(const Dict& d, bool pretty = false);

Value parse_json(std::string_view text);

// A (nested, rectangular) List of numbers or bools, as parse_json returns for a JSON array, turned into an
// Array of `dtype`; an Array is returned converted. Throws InvalidArgument for ragged lists or non-numbers.
Array to_array(const Value& v, DType dtype);

}  // namespace a2w::env
