#include "io/files/chunk.hpp"

#include "io/files/atomic_file.hpp"

#include <openssl/evp.h>
#include <zstd.h>

#include <array>
#include <cstdio>
#include <cstring>

namespace idabus::io::files {

std::string_view to_string(chunk_problem problem) noexcept {
  switch (problem) {
    case chunk_problem::missing: return "missing";
    case chunk_problem::sha256_mismatch: return "sha256 mismatch";
    case chunk_problem::not_one_frame: return "not one zstd frame";
    case chunk_problem::no_checksum: return "no content checksum";
    case chunk_problem::corrupt: return "corrupt";
    case chunk_problem::size_mismatch: return "size mismatch";
  }
  return "unknown";
}

// ---- SHA-256 ----

struct sha256_hasher::impl {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~impl() { EVP_MD_CTX_free(ctx); }
};

sha256_hasher::sha256_hasher() : impl_(std::make_unique<impl>()) {
  if (impl_->ctx == nullptr || EVP_DigestInit_ex(impl_->ctx, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("sha256: EVP_DigestInit_ex failed");
  }
}
sha256_hasher::~sha256_hasher() = default;
sha256_hasher::sha256_hasher(sha256_hasher&&) noexcept = default;
sha256_hasher& sha256_hasher::operator=(sha256_hasher&&) noexcept = default;

void sha256_hasher::update(std::string_view bytes) {
  if (EVP_DigestUpdate(impl_->ctx, bytes.data(), bytes.size()) != 1) {
    throw std::runtime_error("sha256: EVP_DigestUpdate failed");
  }
}

std::string sha256_hasher::finish() {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  if (EVP_DigestFinal_ex(impl_->ctx, digest.data(), &size) != 1) {
    throw std::runtime_error("sha256: EVP_DigestFinal_ex failed");
  }
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (unsigned int i = 0; i < size; ++i) {
    out.push_back(hex[digest[i] >> 4]);
    out.push_back(hex[digest[i] & 15]);
  }
  return out;
}

std::string sha256_hex(std::string_view bytes) {
  sha256_hasher hasher;
  hasher.update(bytes);
  return hasher.finish();
}

std::string chunk_file_name(std::uint32_t number) {
  std::array<char, 32> buf{};
  std::snprintf(buf.data(), buf.size(), "%06u.jsonl.zst", number);
  return buf.data();
}

// ---- encoder ----

struct chunk_encoder::impl {
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ~impl() { ZSTD_freeCCtx(cctx); }
};

chunk_encoder::chunk_encoder(int level) : impl_(std::make_unique<impl>()) {
  if (level < 1 || level > ZSTD_maxCLevel()) {
    throw std::invalid_argument("chunk_encoder: compression level " + std::to_string(level) + " is outside 1.." +
                                std::to_string(ZSTD_maxCLevel()));
  }
  if (impl_->cctx == nullptr) throw std::runtime_error("chunk_encoder: ZSTD_createCCtx failed");
  ZSTD_CCtx_setParameter(impl_->cctx, ZSTD_c_compressionLevel, level);
  ZSTD_CCtx_setParameter(impl_->cctx, ZSTD_c_checksumFlag, 1);
  ZSTD_CCtx_setParameter(impl_->cctx, ZSTD_c_contentSizeFlag, 1);
}
chunk_encoder::~chunk_encoder() = default;
chunk_encoder::chunk_encoder(chunk_encoder&&) noexcept = default;
chunk_encoder& chunk_encoder::operator=(chunk_encoder&&) noexcept = default;

encoded_chunk chunk_encoder::encode(std::string_view raw) {
  // Uninitialised room: a string resized to ZSTD_compressBound was zero-filled (and paged in) in
  // full, 8 MiB per 8 MiB chunk, only to be cut to the frame's size.
  const auto bound = ZSTD_compressBound(raw.size());
  std::unique_ptr<char[]> room(new char[bound]);
  // compress2 keeps the parameters set above and starts a new frame every call.
  const auto size = ZSTD_compress2(impl_->cctx, room.get(), bound, raw.data(), raw.size());
  if (ZSTD_isError(size)) throw std::runtime_error(std::string("zstd compress: ") + ZSTD_getErrorName(size));
  encoded_chunk out;
  out.bytes.assign(room.get(), size);
  out.sha256 = sha256_hex(out.bytes);
  return out;
}

// ---- decoder ----

struct chunk_decoder::impl {
  ZSTD_DCtx* dctx = ZSTD_createDCtx();
  ~impl() { ZSTD_freeDCtx(dctx); }
};

chunk_decoder::chunk_decoder() : impl_(std::make_unique<impl>()) {
  if (impl_->dctx == nullptr) throw std::runtime_error("chunk_decoder: ZSTD_createDCtx failed");
}
chunk_decoder::~chunk_decoder() = default;
chunk_decoder::chunk_decoder(chunk_decoder&&) noexcept = default;
chunk_decoder& chunk_decoder::operator=(chunk_decoder&&) noexcept = default;

std::string chunk_decoder::decode(std::string_view bytes, std::string_view name) {
  std::string out;
  decode_into(bytes, out, name);
  return out;
}

void chunk_decoder::decode_into(std::string_view bytes, std::string& out, std::string_view name) {
  const std::string label(name);
  const auto frame_size = ZSTD_findFrameCompressedSize(bytes.data(), bytes.size());
  if (ZSTD_isError(frame_size)) {
    throw chunk_error(chunk_problem::not_one_frame,
                      label + ": not a complete zstd frame (" + ZSTD_getErrorName(frame_size) + ")");
  }
  if (frame_size != bytes.size()) {
    throw chunk_error(chunk_problem::not_one_frame, label + ": " + std::to_string(bytes.size() - frame_size) +
                                                        " bytes after the zstd frame");
  }
  // Frame header (RFC 8878 3.1.1): 4-byte magic, then the descriptor whose bit 2 is the
  // Content_Checksum_flag. Read by hand: ZSTD_getFrameHeader is zstd's experimental API.
  constexpr unsigned char magic[] = {0x28, 0xB5, 0x2F, 0xFD};
  if (bytes.size() < 5 || std::memcmp(bytes.data(), magic, 4) != 0) {
    throw chunk_error(chunk_problem::not_one_frame, label + ": not a zstd frame (bad magic number)");
  }
  if ((static_cast<unsigned char>(bytes[4]) & 0x04) == 0) {
    throw chunk_error(chunk_problem::no_checksum, label + ": the zstd frame has no content checksum");
  }
  const auto content_size = ZSTD_getFrameContentSize(bytes.data(), bytes.size());
  if (content_size == ZSTD_CONTENTSIZE_UNKNOWN || content_size == ZSTD_CONTENTSIZE_ERROR) {
    throw chunk_error(chunk_problem::not_one_frame, label + ": the zstd frame does not state its content size");
  }
  if (content_size > out.capacity()) {
    // Growing in place would double the capacity (libstdc++): a pooled buffer would then keep
    // twice a chunk's size reserved. Free the old buffer first, then take the size rounded up to
    // a MiB, so that chunks of about one size (a backup's ChunkBytes) fit after the first.
    constexpr std::size_t step = 1 << 20;
    std::string().swap(out);  // (`out = std::string()` would keep the old allocation)
    out.reserve((static_cast<std::size_t>(content_size) + step - 1) / step * step);
  }
  out.resize(static_cast<std::size_t>(content_size));
  const auto size = ZSTD_decompressDCtx(impl_->dctx, out.data(), out.size(), bytes.data(), bytes.size());
  if (ZSTD_isError(size)) {
    throw chunk_error(chunk_problem::corrupt, label + ": " + ZSTD_getErrorName(size));
  }
  if (size != out.size()) {
    throw chunk_error(chunk_problem::corrupt, label + ": content shorter than its header states");
  }
}

std::string chunk_decoder::read(const std::string& path, std::optional<std::string> expected_sha256) {
  std::string bytes;
  try {
    bytes = read_file(path);
  } catch (const file_error& e) {
    throw chunk_error(chunk_problem::missing, e.what());
  }
  if (expected_sha256) {
    const auto actual = sha256_hex(bytes);
    if (actual != *expected_sha256) {
      throw chunk_error(chunk_problem::sha256_mismatch,
                        path + ": sha256 " + actual + " but the manifest lists " + *expected_sha256);
    }
  }
  return decode(bytes, path);
}

}  // namespace idabus::io::files
