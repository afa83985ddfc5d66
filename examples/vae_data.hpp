#pragma once
// The discrete VAE's data (examples/discrete_vae.cpp): Fashion-MNIST images read from gzipped
// IDX files, and their binarization into the rows of a batch.
#include <zlib.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <scg/scg.hpp>
#include <string>
#include <vector>

#include "vae_model.hpp"

namespace vae {

/// Reads an IDX image file (gzip): n images of 28 x 28 bytes (intensities 0..255).
/// Returns false with a message in `err` when the file is missing or malformed.
inline bool read_images(const std::string& path, std::vector<unsigned char>& out, int& n,
                        std::string& err) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) {
    err = "cannot open " + path;
    return false;
  }
  unsigned char header[16];
  bool ok = gzread(f, header, 16) == 16;
  auto be32 = [&](int i) {
    return (header[i] << 24) | (header[i + 1] << 16) | (header[i + 2] << 8) | header[i + 3];
  };
  if (ok && (be32(0) != 2051 || be32(8) != 28 || be32(12) != 28)) {
    err = path + ": not an IDX file of 28x28 images (magic " + std::to_string(be32(0)) + ")";
    gzclose(f);
    return false;
  }
  n = ok ? be32(4) : 0;
  if (ok && (n <= 0 || n > 1000000)) ok = false;
  if (ok) {
    out.resize(static_cast<std::size_t>(n) * kPixels);
    ok = gzread(f, out.data(), static_cast<unsigned>(out.size())) == static_cast<int>(out.size());
  }
  gzclose(f);
  if (!ok) {
    err = path + ": truncated or corrupt (expected " + std::to_string(n) + " images)";
    return false;
  }
  return true;
}

/// Binary pixels from intensities: at 128 (static), or drawn Bernoulli(intensity / 255) from
/// `rng` each time (dynamic; the K copies of an image share one draw).
struct Binarizer {
  bool dynamic = false;
  std::mt19937_64 rng{2};
  /// Fills x with images idx[first .. first+B), each repeated K times in consecutive rows.
  void fill(const std::vector<unsigned char>& images, const std::vector<int>& idx, int first, int K,
            scg::Tensor& x) {
    const int B = static_cast<int>(x.rows()) / K;
    std::uniform_real_distribution<double> u(0.0, 1.0);
    for (int b = 0; b < B; ++b) {
      const unsigned char* img = &images[static_cast<std::size_t>(idx[first + b]) * kPixels];
      for (int p = 0; p < kPixels; ++p) {
        const double v =
            dynamic ? (u(rng) < img[p] / 255.0 ? 1.0 : 0.0) : (img[p] >= 128 ? 1.0 : 0.0);
        for (int k = 0; k < K; ++k) x(b * K + k, p) = v;
      }
    }
  }
};

/// The training and test images (cut to whole batches) and the identity order over them.
struct Data {
  std::vector<unsigned char> train, test;
  int n_train = 0, n_test = 0;
  std::vector<int> order;  // 0, 1, 2, ...: the images in file order
};

/// Reads the Fashion-MNIST files of `dir`, keeps at most train_limit and test_limit images (0:
/// all), cut to whole batches of B. Returns false with a message in `err`.
inline bool load_data(const std::string& dir, int train_limit, int test_limit, int B, Data& d,
                      std::string& err) {
  if (!read_images(dir + "/train-images-idx3-ubyte.gz", d.train, d.n_train, err) ||
      !read_images(dir + "/t10k-images-idx3-ubyte.gz", d.test, d.n_test, err)) {
    err += "\n(install Debian's dataset-fashion-mnist, or pass --data DIR)";
    return false;
  }
  if (train_limit) d.n_train = std::min(d.n_train, train_limit);
  if (test_limit) d.n_test = std::min(d.n_test, test_limit);
  d.n_train -= d.n_train % B, d.n_test -= d.n_test % B;
  if (d.n_train < B) {
    err = "fewer than one batch of training images";
    return false;
  }
  d.order.resize(static_cast<std::size_t>(std::max(d.n_train, d.n_test)));
  std::iota(d.order.begin(), d.order.end(), 0);
  return true;
}

}  // namespace vae
