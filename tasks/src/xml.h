#pragma once
// A small XML reader and writer for MJCF files (internal to a2w::tasks).
//
// Why our own: the scene assembler rewrites third-party MJCF (prefixes names, wraps bodies, converts
// degrees) before MuJoCo sees it, and every problem must name the line of the user's file. MJCF uses a
// plain subset of XML: elements, attributes, comments, an optional declaration. Text content, CDATA,
// DOCTYPE and processing instructions are skipped; entity references (&lt; &#38; ...) are decoded.

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace a2w::tasks::xml {

struct Attribute {
  std::string name, value;
  int line = 0;
};

struct Element {
  std::string tag;
  std::vector<Attribute> attributes;  // in document order
  std::vector<std::unique_ptr<Element>> children;
  int line = 0;    // 1-based line of the '<' that opens it
  int column = 0;  // 1-based column of that '<'
  int source = 0;  // which file it came from, for callers that merge documents (parse() sets 0)

  // The attribute's value, or nullptr.
  const std::string* get(const std::string& name) const;
  std::string get_or(const std::string& name, const std::string& fallback) const;
  // Sets (adds or replaces) an attribute.
  void set(const std::string& name, const std::string& value);
  void erase(const std::string& name);
  // Children with this tag, in order.
  std::vector<Element*> children_named(const std::string& tag) const;
  std::unique_ptr<Element> clone() const;
};

// Thrown for malformed XML: line and column of the problem and what was expected.
struct ParseError {
  int line = 0, column = 0;
  std::string message;
};

// Parses a document; returns its root element. Throws ParseError.
std::unique_ptr<Element> parse(const std::string& text);

// Writes an element and its children as XML text, indented by `indent` spaces.
void write(const Element& e, std::string& out, int indent = 0);

}  // namespace a2w::tasks::xml
