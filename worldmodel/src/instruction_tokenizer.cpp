#include "a2w/wm/instruction_tokenizer.h"

#include <algorithm>
#include <cctype>
#include <set>

namespace a2w::wm {

InstructionTokenizer::InstructionTokenizer(std::vector<std::string> vocabulary)
    : vocabulary_(std::move(vocabulary)) {
  for (std::size_t i = 0; i < vocabulary_.size(); ++i)
    ids_.emplace(vocabulary_[i], static_cast<std::int64_t>(i) + 2);
}

std::vector<std::string> InstructionTokenizer::words(std::string_view text) {
  std::vector<std::string> out;
  std::string word;
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c)) {
      word += static_cast<char>(std::tolower(c));
    } else if (!word.empty()) {
      out.push_back(std::move(word));
      word.clear();
    }
  }
  if (!word.empty()) out.push_back(std::move(word));
  return out;
}

std::vector<std::string> InstructionTokenizer::vocabulary_of(const std::vector<std::string>& texts) {
  std::set<std::string> all;
  for (const auto& t : texts)
    for (auto& w : words(t)) all.insert(std::move(w));
  return {all.begin(), all.end()};
}

std::vector<std::int64_t> InstructionTokenizer::encode(std::string_view text, int max_words) const {
  std::vector<std::int64_t> ids(static_cast<std::size_t>(std::max(0, max_words)), kPad);
  std::size_t n = 0;
  for (const auto& w : words(text)) {
    if (n == ids.size()) break;
    // A word the policy never saw has no meaning it learned: left out rather than given an untrained row.
    if (const auto it = ids_.find(w); it != ids_.end()) ids[n++] = it->second;
  }
  return ids;
}

}  // namespace a2w::wm
