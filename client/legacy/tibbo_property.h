// Tibbo-style properties for the Tibbo facade (tibbo.h): members that read
// and assign like Tibbo BASIC's `sock.targetport = 1000` while each access
// runs the owner's getter or setter (which lock, validate and act).
//
//   sock.connectiontout = 20;          // calls Sock::set_connectiontout(20)
//   uint16_t t = sock.toutcounter;     // calls Sock::get_toutcounter()
//   if (sock.state() == PL_SST_EST_AOPENED) ...  // explicit read
//
// A property refers to its owner: it is neither copyable nor movable, and
// neither is the owner. Thread-safety: that of the owner's accessors.
#ifndef SOCKETSVC_CLIENT_LEGACY_TIBBO_PROPERTY_H_
#define SOCKETSVC_CLIENT_LEGACY_TIBBO_PROPERTY_H_

#include <utility>

namespace socketsvc::tibbo {

template <typename Owner, typename T>
class ReadOnly {
 public:
  using Getter = T (Owner::*)() const;

  ReadOnly(const Owner* owner, Getter get) : owner_(owner), get_(get) {}
  ReadOnly(const ReadOnly&) = delete;
  ReadOnly& operator=(const ReadOnly&) = delete;

  T operator()() const { return (owner_->*get_)(); }
  operator T() const { return (owner_->*get_)(); }  // NOLINT: reads like Tibbo

 private:
  const Owner* const owner_;
  const Getter get_;
};

template <typename Owner, typename T>
class Property {
 public:
  using Getter = T (Owner::*)() const;
  using Setter = void (Owner::*)(T);

  Property(Owner* owner, Getter get, Setter set) : owner_(owner), get_(get), set_(set) {}
  Property(const Property&) = delete;

  T operator()() const { return (owner_->*get_)(); }
  operator T() const { return (owner_->*get_)(); }  // NOLINT: reads like Tibbo

  Property& operator=(T value) {
    (owner_->*set_)(std::move(value));
    return *this;
  }
  // `a.targetport = b.targetport` copies the value, not the property.
  Property& operator=(const Property& other) { return *this = other(); }

 private:
  Owner* const owner_;
  const Getter get_;
  const Setter set_;
};

}  // namespace socketsvc::tibbo

#endif  // SOCKETSVC_CLIENT_LEGACY_TIBBO_PROPERTY_H_
