package types

import (
	"reflect"
	"testing"
)

func TestSubnetIDBelow(t *testing.T) {
	tests := []struct {
		id, anc          SubnetID
		below, atOrBelow bool
	}{
		{"/devnet/games", "/devnet", true, true},
		{"/devnet/games/chess", "/devnet", true, true},
		{"/devnet", "/devnet", false, true},
		{"/devnet", "/devnet/games", false, false},
		{"/devnet/gamesx", "/devnet/games", false, false}, // a name prefix is not an ancestor
		{"/devnet/games", "/other", false, false},
		{"/devnet/games", "", false, false},
	}
	for _, tt := range tests {
		if got := tt.id.IsBelow(tt.anc); got != tt.below {
			t.Errorf("%q.IsBelow(%q) = %v, want %v", tt.id, tt.anc, got, tt.below)
		}
		if got := tt.id.IsAtOrBelow(tt.anc); got != tt.atOrBelow {
			t.Errorf("%q.IsAtOrBelow(%q) = %v, want %v", tt.id, tt.anc, got, tt.atOrBelow)
		}
	}
}

func TestSubnetIDNetworkAndRoot(t *testing.T) {
	for id, want := range map[SubnetID]string{"/devnet": "devnet", "/devnet/games": "devnet", "/main/a/b": "main"} {
		if got := id.Network(); got != want {
			t.Errorf("%q.Network() = %q, want %q", id, got, want)
		}
		if got := id.Root(); got != SubnetID("/"+want) {
			t.Errorf("%q.Root() = %q, want /%s", id, got, want)
		}
	}
}

func TestSubnetIDCommonAncestor(t *testing.T) {
	tests := []struct {
		a, b SubnetID
		want SubnetID
		ok   bool
	}{
		{"/devnet/alpha", "/devnet/beta", "/devnet", true},
		{"/devnet/alpha/x", "/devnet/alpha/y/z", "/devnet/alpha", true},
		{"/devnet/alpha", "/devnet/alpha/x", "/devnet/alpha", true},
		{"/devnet/alpha/x", "/devnet/alpha", "/devnet/alpha", true},
		{"/devnet/alpha", "/devnet/alpha", "/devnet/alpha", true},
		{"/devnet/alpha", "/devnet/alphabet", "/devnet", true},
		{"/devnet", "/devnet/a/b/c", "/devnet", true},
		{"/devnet/alpha", "/other/alpha", "", false},
		{"", "/devnet", "", false},
	}
	for _, tt := range tests {
		got, ok := tt.a.CommonAncestor(tt.b)
		if got != tt.want || ok != tt.ok {
			t.Errorf("%q.CommonAncestor(%q) = %q, %v; want %q, %v", tt.a, tt.b, got, ok, tt.want, tt.ok)
		}
	}
}

func TestSubnetIDNextHop(t *testing.T) {
	tests := []struct {
		self, dst SubnetID
		want      SubnetID
		ok        bool
	}{
		{"/devnet", "/devnet/games/chess", "/devnet/games", true},
		{"/devnet/games", "/devnet/games/chess", "/devnet/games/chess", true},
		{"/devnet/games/chess", "/devnet", "/devnet/games", true},
		{"/devnet/alpha", "/devnet/beta", "/devnet", true},
		{"/devnet/alpha", "/devnet/alphabet", "/devnet", true},
		{"/devnet", "/devnet", "", false},
		{"/devnet", "/other/x", "", false},
		{"/devnet/alpha", "/other", "", false},
	}
	for _, tt := range tests {
		got, ok := tt.self.NextHop(tt.dst)
		if got != tt.want || ok != tt.ok {
			t.Errorf("%q.NextHop(%q) = %q, %v; want %q, %v", tt.self, tt.dst, got, ok, tt.want, tt.ok)
		}
	}
}

func TestSubnetIDPathTo(t *testing.T) {
	tests := []struct {
		src, dst SubnetID
		want     []SubnetID
	}{
		{"/devnet/alpha", "/devnet/beta", []SubnetID{"/devnet/alpha", "/devnet", "/devnet/beta"}},
		{"/devnet", "/devnet/a/b", []SubnetID{"/devnet", "/devnet/a", "/devnet/a/b"}},
		{"/devnet/a/b", "/devnet", []SubnetID{"/devnet/a/b", "/devnet/a", "/devnet"}},
		{"/devnet/a/x", "/devnet/a/y/z", []SubnetID{"/devnet/a/x", "/devnet/a", "/devnet/a/y", "/devnet/a/y/z"}},
		{"/devnet/a", "/devnet/a", []SubnetID{"/devnet/a"}},
		{"/devnet/a", "/other/a", nil},
	}
	for _, tt := range tests {
		if got := tt.src.PathTo(tt.dst); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%q.PathTo(%q) = %v, want %v", tt.src, tt.dst, got, tt.want)
		}
	}
}
