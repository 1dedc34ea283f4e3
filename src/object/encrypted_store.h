// WithEncryption: an ObjectStore wrapper that stores every object encrypted with an
// ObjectCipher, as JuiceFS's encrypted storage does (pkg/object/encrypt.go `encrypted`):
//   Put  encrypts the whole object (a fresh data key and nonce each time) and stores that;
//   Get  fetches the whole object whatever the range, decrypts it, then cuts [off, off+limit)
//        (clipped at the plaintext's end, as the interface says);
//   Head, List  report the stored (ciphertext) sizes: plaintext + cipher->Overhead();
//   Delete, Create  pass through.
// A volume's stack is backend -> WithPrefix("{name}/") -> WithEncryption; compression happens
// above, in the chunk layer (PUT = compress -> encrypt -> store).
//
// Errors: the inner store's, unchanged (ENOENT stays ENOENT); an object that does not decrypt
// (any flipped bit, a truncated object, another volume's key) is EBADMSG, the object layer's
// "corrupt data" (object_store.h: never retried; the chunk layer reports EIO), with a message
// naming the object key and the store: never bytes that differ from what was put.
// Ownership: owns `inner`, shares `cipher`. Thread-safety: as the inner store (the cipher is
// immutable).
#pragma once

#include <memory>

#include "object/object_cipher.h"
#include "object/object_store.h"

namespace tierfs::object {

std::unique_ptr<ObjectStore> WithEncryption(std::unique_ptr<ObjectStore> inner,
                                            std::shared_ptr<const ObjectCipher> cipher);

}  // namespace tierfs::object
