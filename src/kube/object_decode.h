// Decoders from simdjson DOM elements to the structs of objects.h: the field-by-field half
// of parse.h, which owns the parser, the size limits and API error mapping.
//
// Errors are kInvalidArgument naming the field path ("status.startTime: …"); unknown
// fields and nulls are skipped. Thread-safety: pure functions.
#pragma once

#include <simdjson.h>

#include <string_view>

#include "base/status.h"
#include "kube/objects.h"
#include "kube/parse.h"

namespace kprof::kube::internal {

// `api_version` is the enclosing list's (list items carry none); only events use it, to
// tell core/v1 from events.k8s.io/v1. T is one of the six object types of parse.h.
template <typename T>
Status DecodeObject(simdjson::dom::element v, std::string_view api_version, T* out);

// metadata.resourceVersion and metadata.continue, and every item.
template <typename T>
Status DecodeListPage(simdjson::dom::element root, ListPage<T>* page);

// Only the metadata of `object` (bookmarks carry nothing else).
Status DecodeMetadataOf(simdjson::dom::element object, ObjectMeta* meta);

}  // namespace kprof::kube::internal
