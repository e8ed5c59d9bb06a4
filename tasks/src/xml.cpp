#include "xml.h"

#include <cctype>
#include <cstdlib>

namespace a2w::tasks::xml {

const std::string* Element::get(const std::string& name) const {
  for (const auto& a : attributes)
    if (a.name == name) return &a.value;
  return nullptr;
}

std::string Element::get_or(const std::string& name, const std::string& fallback) const {
  const std::string* v = get(name);
  return v ? *v : fallback;
}

void Element::set(const std::string& name, const std::string& value) {
  for (auto& a : attributes)
    if (a.name == name) {
      a.value = value;
      return;
    }
  attributes.push_back({name, value, line});
}

void Element::erase(const std::string& name) {
  for (auto it = attributes.begin(); it != attributes.end(); ++it)
    if (it->name == name) {
      attributes.erase(it);
      return;
    }
}

std::vector<Element*> Element::children_named(const std::string& t) const {
  std::vector<Element*> out;
  for (const auto& c : children)
    if (c->tag == t) out.push_back(c.get());
  return out;
}

std::unique_ptr<Element> Element::clone() const {
  auto e = std::make_unique<Element>();
  e->tag = tag;
  e->attributes = attributes;
  e->line = line;
  e->column = column;
  e->source = source;
  for (const auto& c : children) e->children.push_back(c->clone());
  return e;
}

namespace {

class Parser {
 public:
  explicit Parser(const std::string& s) : s_(s) {}

  std::unique_ptr<Element> document() {
    std::unique_ptr<Element> root;
    while (true) {
      skip_misc();
      if (at_end()) break;
      if (root) fail("expected the end of the document after the root element </" + root->tag + ">");
      root = element();
    }
    if (!root) fail("expected a root element (<mujoco>), got an empty document");
    return root;
  }

 private:
  [[noreturn]] void fail(const std::string& msg) const { throw ParseError{line_, col_, msg}; }

  bool at_end() const { return pos_ >= s_.size(); }
  char peek(std::size_t k = 0) const { return pos_ + k < s_.size() ? s_[pos_ + k] : '\0'; }
  bool starts(const char* lit) const {
    return s_.compare(pos_, std::char_traits<char>::length(lit), lit) == 0;
  }

  void advance(std::size_t n = 1) {
    for (std::size_t i = 0; i < n && pos_ < s_.size(); ++i, ++pos_) {
      if (s_[pos_] == '\n') {
        ++line_;
        col_ = 1;
      } else {
        ++col_;
      }
    }
  }

  void skip_ws() {
    while (!at_end() && std::isspace(static_cast<unsigned char>(peek()))) advance();
  }

  void skip_until(const char* end, const char* what) {
    const std::size_t at = s_.find(end, pos_);
    if (at == std::string::npos) fail(std::string("expected '") + end + "' to close " + what);
    advance(at + std::char_traits<char>::length(end) - pos_);
  }

  // Comments, declarations, processing instructions, DOCTYPE and whitespace between elements.
  void skip_misc() {
    while (true) {
      skip_ws();
      if (starts("<!--"))
        skip_until("-->", "a comment");
      else if (starts("<?"))
        skip_until("?>", "a processing instruction");
      else if (starts("<!DOCTYPE"))
        skip_until(">", "a DOCTYPE");
      else
        return;
    }
  }

  std::string name() {
    const std::size_t b = pos_;
    while (!at_end() && (std::isalnum(static_cast<unsigned char>(peek())) || peek() == '_' || peek() == '-' ||
                         peek() == ':' || peek() == '.'))
      advance();
    return s_.substr(b, pos_ - b);
  }

  std::string decode(const std::string& raw) const {
    std::string out;
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] != '&') {
        out += raw[i];
        continue;
      }
      const std::size_t semi = raw.find(';', i);
      if (semi == std::string::npos) fail("expected ';' to end the entity reference in '" + raw + "'");
      const std::string ent = raw.substr(i + 1, semi - i - 1);
      if (ent == "lt")
        out += '<';
      else if (ent == "gt")
        out += '>';
      else if (ent == "amp")
        out += '&';
      else if (ent == "quot")
        out += '"';
      else if (ent == "apos")
        out += '\'';
      else if (!ent.empty() && ent[0] == '#') {
        const long code = ent.size() > 1 && (ent[1] == 'x' || ent[1] == 'X')
                              ? std::strtol(ent.c_str() + 2, nullptr, 16)
                              : std::strtol(ent.c_str() + 1, nullptr, 10);
        if (code <= 0 || code > 127) fail("expected an ASCII character reference, got '&" + ent + ";'");
        out += static_cast<char>(code);
      } else {
        fail("unknown entity reference '&" + ent + ";'");
      }
      i = semi;
    }
    return out;
  }

  std::unique_ptr<Element> element() {
    if (peek() != '<') fail(std::string("expected '<' to open an element, got '") + peek() + "'");
    auto e = std::make_unique<Element>();
    e->line = line_;
    e->column = col_;
    advance();
    e->tag = name();
    if (e->tag.empty()) fail("expected an element name after '<'");
    while (true) {
      skip_ws();
      if (starts("/>")) {
        advance(2);
        return e;
      }
      if (peek() == '>') {
        advance();
        break;
      }
      if (at_end()) fail("expected '>' to close <" + e->tag + ">, got the end of the file");
      Attribute a;
      a.line = line_;
      a.name = name();
      if (a.name.empty())
        fail(std::string("expected an attribute name or '>' in <") + e->tag + ">, got '" + peek() + "'");
      skip_ws();
      if (peek() != '=') fail("expected '=' after attribute '" + a.name + "' of <" + e->tag + ">");
      advance();
      skip_ws();
      const char q = peek();
      if (q != '"' && q != '\'')
        fail("expected a quoted value for attribute '" + a.name + "' of <" + e->tag + ">");
      advance();
      const std::size_t end = s_.find(q, pos_);
      if (end == std::string::npos) fail("expected a closing quote for attribute '" + a.name + "'");
      const std::string raw = s_.substr(pos_, end - pos_);
      advance(end + 1 - pos_);
      a.value = decode(raw);
      if (e->get(a.name)) fail("attribute '" + a.name + "' given twice in <" + e->tag + ">");
      e->attributes.push_back(std::move(a));
    }
    // Content: child elements; text and CDATA are skipped (MJCF carries no meaning in them).
    while (true) {
      skip_misc();
      if (at_end())
        fail("expected </" + e->tag + "> to close the <" + e->tag + "> opened at line " +
             std::to_string(e->line));
      if (starts("<![CDATA[")) {
        skip_until("]]>", "a CDATA section");
        continue;
      }
      if (starts("</")) {
        advance(2);
        const int l = line_, c = col_;
        const std::string closing = name();
        if (closing != e->tag) {
          line_ = l;
          col_ = c;
          fail("expected </" + e->tag + "> (opened at line " + std::to_string(e->line) + "), got </" +
               closing + ">");
        }
        skip_ws();
        if (peek() != '>') fail("expected '>' after </" + closing);
        advance();
        return e;
      }
      if (peek() == '<') {
        e->children.push_back(element());
        continue;
      }
      while (!at_end() && peek() != '<') advance();  // text
    }
  }

  const std::string& s_;
  std::size_t pos_ = 0;
  int line_ = 1, col_ = 1;
};

std::string escape(const std::string& v) {
  std::string out;
  for (char c : v) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace

std::unique_ptr<Element> parse(const std::string& text) {
  return Parser(text).document();
}

void write(const Element& e, std::string& out, int indent) {
  out.append(static_cast<std::size_t>(indent), ' ');
  out += '<' + e.tag;
  for (const auto& a : e.attributes) out += ' ' + a.name + "=\"" + escape(a.value) + '"';
  if (e.children.empty()) {
    out += "/>\n";
    return;
  }
  out += ">\n";
  for (const auto& c : e.children) write(*c, out, indent + 2);
  out.append(static_cast<std::size_t>(indent), ' ');
  out += "</" + e.tag + ">\n";
}

}  // namespace a2w::tasks::xml
