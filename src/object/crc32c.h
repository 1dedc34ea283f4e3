// CRC-32C (Castagnoli, the iSCSI polynomial 0x1EDC6F41, reflected, initial value and final XOR
// 0xFFFFFFFF: RFC 3720 appendix B.4) of a byte string, computed by Intel ISA-L's crc32_iscsi.
// JuiceFS stores it with every S3/MinIO object as user metadata `x-amz-meta-crc32c`, printed in
// decimal, and checks it on whole-object reads (pkg/object/checksum.go); so does tierfs.
// Thread-safety: a pure function.
#pragma once

#include <cstdint>
#include <string_view>

namespace tierfs::object {

uint32_t Crc32c(std::string_view data);

}  // namespace tierfs::object
