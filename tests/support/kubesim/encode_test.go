package main

import (
	"encoding/json"
	"testing"
)

func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	in := `{"a":"x<y>&z\u2028\n\t\"q\"\\","b":[1,2.5,-3e7,true,false,null,{}],"c":{"z":1,"a":{"k":[]}},"d":"héllo \u0001"}`
	var v interface{}
	if err := decodeJSON([]byte(in), &v); err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(v)
	got := appendJSON(nil, v)
	if string(got) != string(want) {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	bad := string([]byte{'a', 0xff, 'b'})
	w2, _ := json.Marshal(bad)
	if g2 := appendString(nil, bad); string(g2) != string(w2) {
		t.Fatalf("invalid utf-8: got %s want %s", g2, w2)
	}
}
