/** A .proto file that uses every field kind the Protobuf serdes map: the fixture of their tests. */
export const SHOP_PROTO = `
syntax = "proto3";
package shop.v1;

enum Status { STATUS_UNKNOWN = 0; OPEN = 1; PAID = 2; }

message Order {
  message Line {
    string sku = 1;
    int32 quantity = 2;
  }
  int64 id = 1;
  string customer = 2;
  repeated Line lines = 3;
  Status status = 4;
  double total = 5;
  map<string, uint64> counters = 6;
  bytes digest = 7;
  bool gift = 8;
  uint32 items = 9;
  sint64 balance = 10;
  float weight = 11;
  optional string note = 12;
  oneof payment {
    string card = 13;
    int32 voucher = 14;
  }
  Line first = 15;
  map<int32, string> labels = 16;
}
`
