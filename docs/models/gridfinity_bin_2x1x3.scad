// Gridfinity-style storage bin, 2 x 1 grid units, 3 height units, two compartments.
// Written from the public Gridfinity dimensions (42 mm grid, 7 mm height unit,
// 0.8/1.8/2.15 mm base profile, stacking lip, 6.5 mm magnet pockets).
// Written for limafs test data; CC0-1.0.
$fn = 48;
grid = 42; gap = 0.5; unit = 7;
gx = 2; gy = 1; gz = 3;
outer_r = 3.75;
W = gx*grid - gap; D = gy*grid - gap;
H = gz*unit;              // top of the wall, lip sits above it
lip_h = 4.4;
wall = 2.6; floor_z = 4.75 + 1.2;

module rsq(w, d, r) {     // rounded square centred on the origin
    offset(r) square([w - 2*r, d - 2*r], center = true);
}
module slab(w, d, r, z) { translate([0, 0, z]) linear_extrude(0.01) rsq(w, d, r); }

module foot() {           // one grid-unit foot with the 45/90/45 degree profile
    difference() {
        hull() {
            slab(35.6, 35.6, 0.8, 0);
            slab(37.2, 37.2, 1.6, 0.8);
            slab(37.2, 37.2, 1.6, 2.6);
            slab(41.5, 41.5, outer_r, 4.75);
        }
        for (sx = [-1, 1], sy = [-1, 1])   // magnet pockets
            translate([sx*13, sy*13, -0.01]) cylinder(d = 6.5, h = 2.4);
    }
}

module body() {
    translate([0, 0, 4.75]) linear_extrude(H - 4.75) rsq(W, D, outer_r);
    // stacking lip
    difference() {
        translate([0, 0, H]) linear_extrude(lip_h) rsq(W, D, outer_r);
        hull() {
            slab(W - 2*wall, D - 2*wall, outer_r - wall + 0.5, H - 0.01);
            slab(W - 2*1.9,  D - 2*1.9,  outer_r - 1.9, H + 0.7);
            slab(W - 2*1.9,  D - 2*1.9,  outer_r - 1.9, H + 2.5);
            slab(W - 0.4,    D - 0.4,    outer_r - 0.2, H + lip_h + 0.01);
        }
    }
}

difference() {
    union() {
        for (i = [0 : gx-1], j = [0 : gy-1])
            translate([(i - (gx-1)/2)*grid, (j - (gy-1)/2)*grid, 0]) foot();
        body();
    }
    // compartments, separated by a 1.2 mm divider, with a rounded floor edge
    cw = (W - 2*wall - 1.2)/2; cd = D - 2*wall;
    for (s = [-1, 1])
        translate([s*(0.6 + cw/2), 0, floor_z])
            hull() {
                translate([0,0,3]) linear_extrude(H) rsq(cw, cd, 1.5);
                linear_extrude(0.01) rsq(cw - 6, cd - 6, 1.5);
            }
}
// label shelf along the back wall, 45 degree underside
translate([0, D/2 - wall, H])
    hull() {
        translate([-(W/2 - wall), -12, -1.2]) cube([W - 2*wall, 12, 1.2]);
        translate([-(W/2 - wall), -0.01, -13]) cube([W - 2*wall, 0.01, 1]);
    }
