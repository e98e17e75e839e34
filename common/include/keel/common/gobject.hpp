// Owning pointers for GLib objects (libostree's OstreeRepo, OstreeSysroot, GVariant...)
// that must outlive one scope: g_autoptr frees at scope exit, these can be returned and
// stored. Header-only: only its includers link GLib.
#pragma once

#include <glib-object.h>

#include <memory>

namespace keel {

struct GObjectUnref {
  void operator()(gpointer p) const {
    if (p) g_object_unref(p);
  }
};
struct GVariantUnref {
  void operator()(GVariant* v) const {
    if (v) g_variant_unref(v);
  }
};

template <class T>
using GObjectPtr = std::unique_ptr<T, GObjectUnref>;
using GVariantPtr = std::unique_ptr<GVariant, GVariantUnref>;

}  // namespace keel
