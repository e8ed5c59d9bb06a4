#pragma once
// Array: a dense, C-ordered, typed block of memory with a shape. Copies of an Array share storage (like a
// numpy view); `clone()` makes an independent copy. `row(i)` and `reshape` are zero-copy views. Ownership is
// explicit: storage is reference counted, so a view keeps its buffer alive.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "a2w/env/dtype.h"
#include "a2w/env/error.h"

namespace a2w::env {

using Shape = std::vector<std::int64_t>;

// Number of elements of a shape; throws InvalidArgument on negative dims or overflow past 2^48 elements.
std::int64_t numel(const Shape& shape);
// "[2, 3]".
std::string shape_str(const Shape& shape);

class Array;
// "float32 array of shape [7]", the phrase every error message about an array uses.
std::string describe(const Array& a);

class Array {
 public:
  // An empty float32 array of shape [0]. `valid()` is false.
  Array() = default;
  // Zero-filled storage.
  Array(DType dtype, Shape shape);

  static Array zeros(DType dtype, Shape shape) { return Array(dtype, std::move(shape)); }
  // Copies `values` into a new array of the given shape (numel must match).
  template <typename T>
  static Array from(const std::vector<T>& values, Shape shape);
  template <typename T>
  static Array from(std::initializer_list<T> values) {
    return from(std::vector<T>(values), Shape{static_cast<std::int64_t>(values.size())});
  }
  // A 0-d array holding one value.
  template <typename T>
  static Array scalar(T v) {
    return from(std::vector<T>{v}, Shape{});
  }
  // Wraps foreign memory without copying; `keep_alive` (may be null) is held as long as any view lives.
  static Array wrap(void* data, DType dtype, Shape shape, std::shared_ptr<void> keep_alive);

  bool valid() const { return storage_ != nullptr; }
  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  std::int64_t dim(int i) const;  // negative i counts from the back
  int ndim() const { return static_cast<int>(shape_.size()); }
  std::int64_t size() const { return numel(shape_); }
  std::size_t nbytes() const { return static_cast<std::size_t>(size()) * itemsize(dtype_); }

  void* raw() { return data_; }
  const void* raw() const { return data_; }
  std::span<std::byte> bytes() { return {static_cast<std::byte*>(data_), nbytes()}; }
  std::span<const std::byte> bytes() const { return {static_cast<const std::byte*>(data_), nbytes()}; }

  // Typed access; throws InvalidArgument when T does not match dtype().
  template <typename T>
  T* data();
  template <typename T>
  const T* data() const;
  template <typename T>
  std::span<T> span() {
    return {data<T>(), static_cast<std::size_t>(size())};
  }
  template <typename T>
  std::span<const T> span() const {
    return {data<T>(), static_cast<std::size_t>(size())};
  }
  // Element `i` of the flattened array converted to double (any dtype).
  double at(std::int64_t i) const;
  // Element `i` converted to int64: exact for integer dtypes, truncated toward zero for floats (NaN gives 0,
  // values out of range saturate).
  std::int64_t at_int(std::int64_t i) const;
  // Value of a 0-d or one-element array.
  template <typename T>
  T item() const;

  // View of index i along the leading dimension (shape drops the first dim). Shares storage.
  Array row(std::int64_t i) const;
  // View of rows [begin, end) along the leading dimension.
  Array rows(std::int64_t begin, std::int64_t end) const;
  // View with another shape of the same numel; one dim may be -1 (inferred, as in numpy).
  Array reshape(Shape shape) const;
  // Independent deep copy.
  Array clone() const;
  // Converts every element (copies).
  Array astype(DType dtype) const;
  // Copies `src` into this array's storage; dtype and shape must match exactly.
  void copy_from(const Array& src);
  void fill_zero();

  // Bitwise equality of dtype, shape and bytes.
  bool equals(const Array& other) const;
  // True if any element is NaN or infinite (floating types only).
  bool has_non_finite() const;

 private:
  std::shared_ptr<void> storage_;
  void* data_ = nullptr;
  DType dtype_ = DType::kFloat32;
  Shape shape_{0};
};

template <typename T>
Array Array::from(const std::vector<T>& values, Shape shape) {
  Array a(dtype_of<T>(), std::move(shape));
  if (static_cast<std::size_t>(a.size()) != values.size())
    throw InvalidArgument("Array::from: expected " + std::to_string(a.size()) + " values for shape " +
                          shape_str(a.shape()) + ", got " + std::to_string(values.size()));
  if constexpr (std::is_same_v<T, bool>) {
    auto* p = a.data<bool>();
    for (std::size_t i = 0; i < values.size(); ++i) p[i] = values[i];
  } else {
    std::copy(values.begin(), values.end(), a.data<T>());
  }
  return a;
}

template <typename T>
T* Array::data() {
  if (dtype_of<T>() != dtype_)
    throw InvalidArgument(std::string("Array: expected dtype ") + std::string(dtype_name(dtype_of<T>())) +
                          ", array has " + std::string(dtype_name(dtype_)));
  return static_cast<T*>(data_);
}

template <typename T>
const T* Array::data() const {
  return const_cast<Array*>(this)->data<T>();
}

template <typename T>
T Array::item() const {
  if (size() != 1)
    throw InvalidArgument("Array::item: expected one element, array has shape " + shape_str(shape_));
  // Through int64 for integer types so int64 values above 2^53 stay exact.
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    return static_cast<T>(at_int(0));
  } else {
    return static_cast<T>(at(0));
  }
}

}  // namespace a2w::env
