#pragma once
// InstructionTokenizer: task instructions as word ids for A2World-policy's instruction embedding.
//
//   InstructionTokenizer t({"lift", "the", "red", "cube"});
//   t.encode("Lift the RED cube!", 6);   // {2, 3, 4, 5, 0, 0}
//   t.encode("lift the shiny cube", 6);  // {2, 3, 5, 0, 0, 0}: "shiny" is not in the vocabulary
//
// Words are runs of letters and digits, lower-cased; everything else separates them. Id 0 is padding, id 1
// is reserved, the vocabulary's words are 2, 3, ... in its order. A word not in the vocabulary is left out
// (no row was trained for it), and an empty text is all padding (it embeds to zero): never an error.
// The vocabulary is built from the training data's instructions and stored in the policy's file.

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace a2w::wm {

class InstructionTokenizer {
 public:
  static constexpr std::int64_t kPad = 0, kUnknown = 1;

  InstructionTokenizer() = default;
  explicit InstructionTokenizer(std::vector<std::string> vocabulary);

  // The words of a text, lower-cased, in order.
  static std::vector<std::string> words(std::string_view text);
  // Every distinct word of `texts`, sorted (a vocabulary that does not depend on the order of the data).
  static std::vector<std::string> vocabulary_of(const std::vector<std::string>& texts);

  // `max_words` ids: the text's known words in order, cut or padded with kPad.
  std::vector<std::int64_t> encode(std::string_view text, int max_words) const;

  const std::vector<std::string>& vocabulary() const { return vocabulary_; }
  // Rows of an embedding table: padding, unknown, then the vocabulary.
  std::int64_t size() const { return static_cast<std::int64_t>(vocabulary_.size()) + 2; }

 private:
  std::vector<std::string> vocabulary_;
  std::unordered_map<std::string, std::int64_t> ids_;
};

}  // namespace a2w::wm
