#include "object/crc32c.h"

#include <isa-l/crc.h>

#include <climits>

namespace tierfs::object {

uint32_t Crc32c(std::string_view data) {
  // crc32_iscsi neither inverts its seed nor its result; its length is an int: feed big inputs
  // in pieces.
  uint32_t crc = 0xFFFFFFFFu;
  auto* p = reinterpret_cast<unsigned char*>(const_cast<char*>(data.data()));  // ISA-L does not write
  size_t left = data.size();
  while (left > 0) {
    int n = left > size_t(INT_MAX / 2) ? INT_MAX / 2 : int(left);
    crc = crc32_iscsi(p, n, crc);
    p += n;
    left -= size_t(n);
  }
  return ~crc;
}

}  // namespace tierfs::object
