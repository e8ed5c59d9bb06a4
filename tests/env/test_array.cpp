#include <a2w/env/array.h>
#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "test_util.h"

using namespace a2w::env;

using a2w::test::message_of;

TEST_CASE("dtype names round-trip through both spellings") {
  for (DType d :
       {DType::kBool, DType::kUInt8, DType::kInt32, DType::kInt64, DType::kFloat32, DType::kFloat64}) {
    CHECK(parse_dtype(dtype_name(d)) == d);
    CHECK(parse_dtype(numpy_dtype(d)) == d);
  }
  CHECK(itemsize(DType::kFloat64) == 8);
  CHECK(numpy_dtype(DType::kUInt8) == "|u1");
  CHECK(parse_dtype("f4") == DType::kFloat32);
  const std::string msg = message_of<a2w::InvalidArgument>([] { parse_dtype(">f4"); });
  CHECK(msg.find("float32 (<f4)") != std::string::npos);
  CHECK(msg.find("got '>f4'") != std::string::npos);
}

TEST_CASE("Array construction, typed access and errors") {
  Array a(DType::kFloat32, {2, 3});
  CHECK(a.valid());
  CHECK(a.size() == 6);
  CHECK(a.nbytes() == 24);
  CHECK(a.dim(-1) == 3);
  for (float v : a.span<float>()) CHECK(v == 0.0f);
  CHECK_THROWS_AS(a.data<double>(), a2w::InvalidArgument);
  CHECK(message_of<a2w::InvalidArgument>([&] { a.data<double>(); }) ==
        "Array: expected dtype float64, array has float32");
  CHECK_THROWS_AS(a.dim(2), a2w::InvalidArgument);

  Array empty;
  CHECK_FALSE(empty.valid());
  CHECK(empty.size() == 0);

  CHECK(Array::scalar(7).ndim() == 0);
  CHECK(Array::scalar(std::int64_t{7}).item<std::int64_t>() == 7);
  CHECK_THROWS_AS(Array::from(std::vector<float>{1, 2, 3}, {2, 2}), a2w::InvalidArgument);
  // int64 beyond 2^53 survives item<int64_t>() exactly.
  const std::int64_t big = (std::int64_t{1} << 60) + 1;
  CHECK(Array::scalar(big).item<std::int64_t>() == big);
}

TEST_CASE("numel checks negative dims and overflow") {
  CHECK(numel({}) == 1);
  CHECK(numel({2, 0, 5}) == 0);
  CHECK_THROWS_AS(numel({2, -1}), a2w::InvalidArgument);
  CHECK_THROWS_AS(numel({1 << 20, 1 << 20, 1 << 20}), a2w::InvalidArgument);
  CHECK_THROWS_AS(numel({std::numeric_limits<std::int64_t>::max(), 2}), a2w::InvalidArgument);
  CHECK_THROWS_AS(Array(DType::kUInt8, {1 << 25, 1 << 25}), a2w::InvalidArgument);
  CHECK(shape_str({2, 3}) == "[2, 3]");
}

TEST_CASE("row, rows and reshape are views sharing storage, clone is deep") {
  Array a = Array::from(std::vector<std::int32_t>{0, 1, 2, 3, 4, 5}, {3, 2});
  Array r = a.row(1);
  CHECK(r.shape() == Shape{2});
  CHECK(r.data<std::int32_t>()[0] == 2);
  r.data<std::int32_t>()[0] = 20;
  CHECK(a.data<std::int32_t>()[2] == 20);

  Array rs = a.rows(1, 3);
  CHECK(rs.shape() == Shape{2, 2});
  rs.data<std::int32_t>()[3] = 50;
  CHECK(a.data<std::int32_t>()[5] == 50);

  Array flat = a.reshape({6});
  flat.data<std::int32_t>()[0] = 100;
  CHECK(a.data<std::int32_t>()[0] == 100);
  CHECK(a.reshape({-1, 3}).shape() == Shape{2, 3});
  CHECK_THROWS_AS(a.reshape({4}), a2w::InvalidArgument);
  CHECK_THROWS_AS(a.reshape({-1, 4}), a2w::InvalidArgument);

  Array c = a.clone();
  c.data<std::int32_t>()[0] = -1;
  CHECK(a.data<std::int32_t>()[0] == 100);
  CHECK(c.equals(c.clone()));
  CHECK_FALSE(c.equals(a));

  CHECK_THROWS_AS(a.row(3), a2w::InvalidArgument);
  CHECK_THROWS_AS(a.rows(2, 4), a2w::InvalidArgument);
  CHECK_THROWS_AS(Array::scalar(1.0).row(0), a2w::InvalidArgument);

  // A view keeps its storage alive after the array it came from is gone.
  Array view;
  {
    Array tmp = Array::from({1.0f, 2.0f});
    view = tmp.row(1);
  }
  CHECK(view.item<float>() == 2.0f);
}

TEST_CASE("copy_from checks dtype and shape and names both") {
  Array dst(DType::kFloat32, {7});
  Array src(DType::kFloat64, {3});
  const std::string msg = message_of<a2w::InvalidArgument>([&] { dst.copy_from(src); });
  CHECK(msg == "Array::copy_from: expected float32 array of shape [7], got float64 array of shape [3]");
  Array ok = Array::from({1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f, 7.0f});
  dst.copy_from(ok);
  CHECK(dst.equals(ok));
  dst.fill_zero();
  CHECK(dst.at(6) == 0.0);
}

TEST_CASE("astype converts and saturates, has_non_finite") {
  Array f = Array::from({-1.5f, 0.0f, 300.0f, NAN});
  Array u = f.astype(DType::kUInt8);
  CHECK(u.data<std::uint8_t>()[0] == 0);
  CHECK(u.data<std::uint8_t>()[2] == 255);
  CHECK(u.data<std::uint8_t>()[3] == 0);
  Array b = f.astype(DType::kBool);
  CHECK(b.data<bool>()[0]);
  CHECK_FALSE(b.data<bool>()[1]);
  Array i = Array::from(std::vector<std::int64_t>{-5, 70000}, {2}).astype(DType::kInt32);
  CHECK(i.data<std::int32_t>()[1] == 70000);
  CHECK(Array::from(std::vector<std::int64_t>{-5}, {1}).astype(DType::kUInt8).data<std::uint8_t>()[0] == 0);

  CHECK(f.has_non_finite());
  CHECK_FALSE(Array::from({1.0, 2.0}).has_non_finite());
  CHECK(Array::from({1.0, std::numeric_limits<double>::infinity()}).has_non_finite());
  CHECK_FALSE(Array::from(std::vector<std::int64_t>{1}, {1}).has_non_finite());
}

TEST_CASE("wrap holds foreign memory without copying") {
  auto owner = std::make_shared<std::vector<float>>(std::vector<float>{1, 2, 3, 4});
  Array a = Array::wrap(owner->data(), DType::kFloat32, {2, 2}, owner);
  std::weak_ptr<std::vector<float>> weak = owner;
  owner.reset();
  CHECK_FALSE(weak.expired());  // the array keeps it alive
  CHECK(a.row(1).data<float>()[1] == 4.0f);
  a = Array();
  CHECK(weak.expired());

  float local[2] = {5, 6};
  Array b = Array::wrap(local, DType::kFloat32, {2}, nullptr);
  CHECK(b.valid());
  CHECK(b.at(1) == 6.0);
  CHECK_THROWS_AS(Array::wrap(nullptr, DType::kFloat32, {2}, nullptr), a2w::InvalidArgument);
  CHECK(describe(b) == "float32 array of shape [2]");
}
